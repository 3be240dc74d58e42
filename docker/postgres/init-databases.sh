#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is first created: the CKAN and DataStore
# databases and roles, named as in the development setup (scripts/portal.sh).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE ckan LOGIN PASSWORD '${CDX_DB_PASSWORD}';
CREATE ROLE datastore_ro LOGIN PASSWORD '${CDX_DATASTORE_RO_PASSWORD}';
CREATE DATABASE cdx OWNER ckan ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE cdx_datastore OWNER ckan ENCODING 'UTF8' TEMPLATE template0;
SQL
