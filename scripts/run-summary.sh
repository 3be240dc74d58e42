#!/usr/bin/env bash
# Printed at the end of `make run`: where the portal is and how to log in.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cat <<TEXT

City Data Exchange is up:   http://127.0.0.1:$CDX_PORT
  sysadmin:                 ${CDX_ADMIN_USER:-admin} / ${CDX_ADMIN_PASSWORD:-cityexchange-admin}
  demo users:               sofie, lars and emil (sellers), bjarne (buyer), mette (municipal editor)
                            password: ${CDX_DEMO_PASSWORD:-cityexchange-demo}
  services:                 PostgreSQL 127.0.0.1:$CDX_PG_PORT, Redis 127.0.0.1:$CDX_REDIS_PORT, Solr http://127.0.0.1:$CDX_SOLR_PORT/solr
  payments:                 stripe-mock http://127.0.0.1:$CDX_STRIPE_MOCK_PORT (pay an order: ckan pricing test-webhook <order>)
  harvesting:               http://127.0.0.1:$CDX_PORT/harvest-status (sources: config/harvest-sources.yaml)
  data and logs:            $CDX_VAR  (logs in $CDX_LOG)
  stop everything:          make stop
TEXT
