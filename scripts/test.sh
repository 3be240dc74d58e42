#!/usr/bin/env bash
# Runs the suite's tests with CKAN's pytest plugin against the test databases, Solr
# core and Redis database of the CKAN release CDX_CKAN_VERSION names (2.12 unless told;
# see portal.sh init test). Extra arguments go
# to pytest, e.g. `make test PYTEST_ARGS="-k search -x"`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CDX_ROOT"
# The stock CKAN the harvest tests read from (portal.sh peer test).
export CDX_PEER_INFO="$CDX_DATA/peer.json"
export CDX_PEER2_INFO="$CDX_DATA/peer2.json"
[[ -f "$CDX_TEST_INI" ]] || die tests "$CDX_TEST_INI is missing: run CDX_CKAN_VERSION=$CDX_CKAN_VERSION scripts/portal.sh init test"
say "the tests on CKAN $("$CDX_VENV/bin/python" -c 'import ckan; print(ckan.__version__)') ($CDX_TEST_INI)"
exec "$CDX_VENV/bin/pytest" --ckan-ini="$CDX_TEST_INI" -p no:cacheprovider "$@"
