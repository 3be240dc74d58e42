#!/bin/bash
# Every start gives the core "ckan" this image's configuration, so that a new release's
# schema reaches an existing index volume; after such an upgrade, index anew:
#   docker compose run --rm ckan ckan search-index rebuild
set -euo pipefail
core=/var/solr/data/ckan
mkdir -p "$core/conf"
cp /opt/cityexchange/solr/conf/* "$core/conf/"
echo "name=ckan" >"$core/core.properties"
exec solr-foreground
