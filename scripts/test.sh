#!/usr/bin/env bash
# Runs the suite's tests with CKAN's pytest plugin against the test databases, the
# ckan_test Solr core and Redis database 1 (see portal.sh init test). Extra arguments go
# to pytest, e.g. `make test PYTEST_ARGS="-k search -x"`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CDX_ROOT"
# The stock CKAN the harvest tests read from (portal.sh peer test).
export CDX_PEER_INFO="$CDX_DATA/peer.json"
export CDX_PEER2_INFO="$CDX_DATA/peer2.json"
exec "$CDX_VENV/bin/pytest" --ckan-ini="$CDX_VAR/test.ini" -p no:cacheprovider "$@"
