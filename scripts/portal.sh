#!/usr/bin/env bash
# The CKAN side of the development and test setups.
#
#   portal.sh init dev|test|bench   render the ini, create databases, run every migration
#   portal.sh start           serve the dev portal on 127.0.0.1:$CDX_PORT, plus the worker,
#                             the harvest queue consumers and the scheduler
#   portal.sh stop            stop them
#   portal.sh sources         load the harvest sources of config/harvest-sources.yaml
#   portal.sh demo            create the sysadmin and load the demo catalog (idempotent)
#   portal.sh reindex         index again any dataset the search index lost
#   portal.sh peer test|test2|bench start the stock CKAN the harvest tests (240 datasets; test2:
#                           a second portal republishing part of it) or the
#                             benchmark (2,000) harvest from, seeded from test-data/opendata
#
# Dev and test share the PostgreSQL, Redis and Solr servers of services.sh but never
# their data: own databases, own Solr core, own Redis database, own storage folder.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"

# Development credentials (documented in the README). Only ever bound to 127.0.0.1.
DB_USER=ckan
DB_PASSWORD=ckan
DS_READ_USER=datastore_ro
DS_READ_PASSWORD=datastore_ro
export CDX_ADMIN_USER="${CDX_ADMIN_USER:-admin}"
export CDX_ADMIN_PASSWORD="${CDX_ADMIN_PASSWORD:-cityexchange-admin}"
# Outbound requests to user-set URLs may reach this machine (the harvest peers, the local
# DCAT and upstream test servers); docker's default stays empty (public addresses only).
export CDX_OUTBOUND_ALLOW="${CDX_OUTBOUND_ALLOW-127.0.0.1 ::1}"

use_env() {
  local env="$1"
  case "$env" in
    dev)
      if [[ "$CDX_CKAN_VERSION" == 2.11 ]]; then
        export CDX_INI="$CDX_VAR/ckan-2.11.ini" CDX_REDIS_DB=6 CDX_STORAGE_PATH="$CDX_DATA/storage-2.11"
      else
        export CDX_INI="$CDX_VAR/ckan.ini" CDX_REDIS_DB=0 CDX_STORAGE_PATH="$CDX_DATA/storage"
      fi
      export CDX_DB_NAME="cdx$CDX_VERSION_SUFFIX" CDX_DS_NAME="cdx${CDX_VERSION_SUFFIX}_datastore"
      export CDX_SOLR_CORE="ckan$CDX_VERSION_SUFFIX"
      ;;
    test)
      export CDX_INI="$CDX_TEST_INI"
      if [[ "$CDX_CKAN_VERSION" == 2.11 ]]; then
        export CDX_REDIS_DB=7 CDX_STORAGE_PATH="$CDX_DATA/storage-test-2.11"
      else
        export CDX_REDIS_DB=1 CDX_STORAGE_PATH="$CDX_DATA/storage-test"
      fi
      export CDX_DB_NAME="cdx_test$CDX_VERSION_SUFFIX" CDX_DS_NAME="cdx_test${CDX_VERSION_SUFFIX}_datastore"
      export CDX_SOLR_CORE="ckan_test$CDX_VERSION_SUFFIX"
      # Tests of the other plugins make public datasets without a checklist: the gate
      # warns there; the gdprcheck tests switch it to enforce themselves.
      export CDX_GDPR_GATE="${CDX_GDPR_GATE:-warn}"
      # Harvested files are sampled only where a test asks for it (the harvest tests'
      # resources point at addresses nobody serves).
      export CDX_HARVEST_SAMPLE_BYTES="${CDX_HARVEST_SAMPLE_BYTES:-0}"
      # Tests search right after they write.
      export CDX_SOLR_COMMIT=true
      # The browser tests' maps load no remote tiles: a blank one the portal serves.
      export CDX_MAP_TILES=/cityexchange/map-tile.png CDX_MAP_ATTRIBUTION="City Data Exchange (test tiles)"
      ;;
    bench)
      if [[ "$CDX_CKAN_VERSION" == 2.11 ]]; then
        export CDX_INI="$CDX_VAR/bench-2.11.ini" CDX_STORAGE_PATH="$CDX_DATA/storage-bench-2.11"
      else
        export CDX_INI="$CDX_VAR/bench.ini" CDX_STORAGE_PATH="$CDX_DATA/storage-bench"
      fi
      export CDX_DB_NAME="cdx_bench$CDX_VERSION_SUFFIX" CDX_DS_NAME="cdx_bench${CDX_VERSION_SUFFIX}_datastore"
      export CDX_SOLR_CORE=ckan_bench CDX_REDIS_DB=2
      # The harvest benchmark runs the stock harvester beside ours: it declares no GDPR
      # checklist, so under `enforce` the gate would refuse every dataset it brings.
      export CDX_GDPR_GATE="${CDX_GDPR_GATE:-warn}"
      ;;
    *) echo "unknown environment: $env (dev, test or bench)" >&2; exit 2 ;;
  esac
  local pg="127.0.0.1:$CDX_PG_PORT"
  export CDX_DB_URL="postgresql://$DB_USER:$DB_PASSWORD@$pg/$CDX_DB_NAME"
  export CDX_DATASTORE_WRITE_URL="postgresql://$DB_USER:$DB_PASSWORD@$pg/$CDX_DS_NAME"
  export CDX_DATASTORE_READ_URL="postgresql://$DS_READ_USER:$DS_READ_PASSWORD@$pg/$CDX_DS_NAME"
  export CDX_SOLR_URL="http://127.0.0.1:$CDX_SOLR_PORT/solr/$CDX_SOLR_CORE"
  export CDX_REDIS_HOST=127.0.0.1
  export CDX_REDIS_URL="redis://127.0.0.1:$CDX_REDIS_PORT/$CDX_REDIS_DB"
  export CDX_SITE_URL="http://127.0.0.1:$CDX_PORT"
  export CDX_CONFIG_DIR="$CDX_ROOT/config"
  mkdir -p "$CDX_STORAGE_PATH"
  if [[ ! -s "$CDX_DATA/secret_key" ]]; then
    "$CDX_VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$CDX_DATA/secret_key"
  fi
  CDX_SECRET_KEY="$(cat "$CDX_DATA/secret_key")"
  export CDX_SECRET_KEY
  # The worker's API token for fetching uploaded files into the DataStore (ckanext-xloader),
  # made by init once the database exists.
  CDX_XLOADER_TOKEN_FILE="$CDX_DATA/xloader-token-$env$CDX_VERSION_SUFFIX"
  if [[ -s "$CDX_XLOADER_TOKEN_FILE" ]]; then
    CDX_XLOADER_TOKEN="$(cat "$CDX_XLOADER_TOKEN_FILE")"
    export CDX_XLOADER_TOKEN
  fi
  # Payments go to the local stripe-mock unless real Stripe keys are given.
  if [[ -z "${CDX_STRIPE_SECRET_KEY:-}" ]]; then
    export CDX_STRIPE_SECRET_KEY=sk_test_cityexchangelocal
    export CDX_STRIPE_API_BASE="http://127.0.0.1:$CDX_STRIPE_MOCK_PORT"
  fi
  if [[ -z "${CDX_STRIPE_WEBHOOK_SECRET:-}" ]]; then
    if [[ ! -s "$CDX_DATA/webhook_secret" ]]; then
      "$CDX_VENV/bin/python" -c 'import secrets; print("whsec_" + secrets.token_hex(24))' >"$CDX_DATA/webhook_secret"
    fi
    CDX_STRIPE_WEBHOOK_SECRET="$(cat "$CDX_DATA/webhook_secret")"
    export CDX_STRIPE_WEBHOOK_SECRET
  fi
}

psql_admin() {
  local args=(-h "$CDX_PG_SOCKET" -p "$CDX_PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q -X)
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$PG_BIN/psql" "${args[@]}" "$@"
  else
    "$PG_BIN/psql" "${args[@]}" "$@"
  fi
}

create_databases() {
  psql_admin -d postgres <<SQL
SELECT 'CREATE ROLE $DB_USER LOGIN PASSWORD ''$DB_PASSWORD'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER')\gexec
SELECT 'CREATE ROLE $DS_READ_USER LOGIN PASSWORD ''$DS_READ_PASSWORD'''
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DS_READ_USER')\gexec
SELECT 'CREATE DATABASE $CDX_DB_NAME OWNER $DB_USER ENCODING ''UTF8'' TEMPLATE template0'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$CDX_DB_NAME')\gexec
SELECT 'CREATE DATABASE $CDX_DS_NAME OWNER $DB_USER ENCODING ''UTF8'' TEMPLATE template0'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$CDX_DS_NAME')\gexec
SQL
}

init() {
  use_env "$1"
  local log="$CDX_LOG/ckan-init-$1.log"
  : >"$log"
  "$CDX_VENV/bin/python" "$CDX_ROOT/scripts/render_config.py" "$CDX_ROOT/config/ckan.ini.in" "$CDX_INI" \
    || die config "could not render $CDX_INI"
  create_databases >>"$log" 2>&1 || die postgres "could not create the $1 databases" "$log"
  # Schema version of the migrations already applied, so that a warm start skips work.
  local stamp_file="$CDX_DATA/migrations-$1$CDX_VERSION_SUFFIX.stamp" stamp
  stamp="$(stamp "$CDX_ROOT"/ckanext-*/ckanext/*/migration "$CDX_VENV/.cdx-stamp")"
  if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]]; then
    return 0
  fi
  say "initialising the $1 database and running every plugin's migrations"
  venv_ckan -c "$CDX_INI" db init >>"$log" 2>&1 || die ckan "db init failed" "$log"
  venv_ckan -c "$CDX_INI" db pending-migrations --apply >>"$log" 2>&1 || die ckan "plugin migrations failed" "$log"
  # Activities stored before locked URLs were kept out of them are redacted once.
  venv_ckan -c "$CDX_INI" pricing scrub-activities >>"$log" 2>&1 || die ckan "could not scrub the activity stream" "$log"
  venv_ckan -c "$CDX_INI" datastore set-permissions 2>>"$log" | psql_admin -d "$CDX_DS_NAME" >>"$log" 2>&1 \
    || die datastore "could not set the DataStore permissions" "$log"
  # The site user (made by scrub-activities above) gets the worker's token; the ini is
  # rendered again with it.
  venv_ckan -c "$CDX_INI" user token add -q "${CDX_SITE_ID:-cityexchange}" xloader 2>>"$log" \
    | tail -n 1 | tr -d '[:space:]' >"$CDX_XLOADER_TOKEN_FILE"
  [[ -s "$CDX_XLOADER_TOKEN_FILE" ]] || die ckan "could not create the worker's API token" "$log"
  CDX_XLOADER_TOKEN="$(cat "$CDX_XLOADER_TOKEN_FILE")"
  export CDX_XLOADER_TOKEN
  "$CDX_VENV/bin/python" "$CDX_ROOT/scripts/render_config.py" "$CDX_ROOT/config/ckan.ini.in" "$CDX_INI" \
    || die config "could not render $CDX_INI"
  echo "$stamp" >"$stamp_file"
}

web_up() { curl -sf "http://127.0.0.1:$CDX_PORT/api/3/action/status_show" >/dev/null; }

start() {
  use_env dev
  local web_log="$CDX_LOG/ckan.log" worker_log="$CDX_LOG/worker.log"
  if pid_alive "$CDX_RUN/ckan.pid"; then
    local running_port
    running_port="$(cat "$CDX_RUN/ckan.port" 2>/dev/null || true)"
    [[ "$running_port" == "$CDX_PORT" ]] \
      || die ckan "already running on port ${running_port:-unknown}; run 'make stop' before changing CDX_PORT" "$web_log"
  else
    require_free_port ckan "$CDX_PORT" CDX_PORT
    say "starting CKAN on http://127.0.0.1:$CDX_PORT"
    start_daemon ckan "$web_log" "$CDX_VENV/bin/ckan" -c "$CDX_INI" run \
      --host 127.0.0.1 --port "$CDX_PORT" --disable-reloader --threaded
    echo "$CDX_PORT" >"$CDX_RUN/ckan.port"
  fi
  if ! pid_alive "$CDX_RUN/worker.pid"; then
    say "starting the background worker, the harvest consumers and the scheduler"
    start_daemon worker "$worker_log" "$CDX_VENV/bin/ckan" -c "$CDX_INI" jobs worker
  fi
  pid_alive "$CDX_RUN/harvest-gather.pid" || start_daemon harvest-gather "$CDX_LOG/harvest-gather.log" \
    "$CDX_VENV/bin/ckan" -c "$CDX_INI" harvester gather-consumer
  pid_alive "$CDX_RUN/harvest-fetch.pid" || start_daemon harvest-fetch "$CDX_LOG/harvest-fetch.log" \
    "$CDX_VENV/bin/ckan" -c "$CDX_INI" harvester fetch-consumer
  pid_alive "$CDX_RUN/scheduler.pid" || start_daemon scheduler "$CDX_LOG/scheduler.log" \
    env CDX_CKAN="$CDX_VENV/bin/ckan" sh "$CDX_ROOT/scripts/scheduler.sh" "$CDX_INI"
  local deadline=$((SECONDS + 90))
  until web_up; do
    pid_alive "$CDX_RUN/ckan.pid" || die ckan "the web server exited during start-up" "$web_log"
    ((SECONDS < deadline)) || die ckan "not answering after 90s" "$web_log"
    sleep 0.3
  done
  pid_alive "$CDX_RUN/worker.pid" || die worker "the background worker exited" "$worker_log"
}

# The search index lives in Solr's data folder, the catalog in PostgreSQL: if the index
# lost datasets (a deleted or new Solr folder), index the missing ones again; if it holds
# datasets the database does not (a new database), index everything anew.
# `ckan search-index ...` on the dev portal, logged; stops the script when it fails.
dev_search_index() {
  venv_ckan -c "$CDX_INI" search-index "$@" >>"$CDX_LOG/ckan-init-dev.log" 2>&1 \
    || die solr "could not rebuild the search index" "$CDX_LOG/ckan-init-dev.log"
}

reindex_if_needed() {
  use_env dev
  local in_db in_solr
  in_db="$(psql_admin -d "$CDX_DB_NAME" -At -c "SELECT count(*) FROM package WHERE state = 'active'")"
  # CKAN leaves commits to Solr's autoSoftCommit: make what was just indexed countable.
  curl -sf "$CDX_SOLR_URL/update?softCommit=true" >/dev/null
  in_solr="$(curl -sf "$CDX_SOLR_URL/select?q=*:*&rows=0&wt=json" \
    | "$CDX_VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["response"]["numFound"])')"
  # The index was built under another schema (services.sh restarted Solr with this
  # checkout's): its documents lack the new fields.
  local schema_now schema_indexed_file="$CDX_DATA/solr-schema-of-$CDX_SOLR_CORE"
  schema_now="$(cat "$CDX_SOLR_HOME/.cdx-conf-stamp" 2>/dev/null || true)"
  if ((in_db > 0)) && [[ "$(cat "$schema_indexed_file" 2>/dev/null)" != "$schema_now" ]]; then
    say "the Solr schema changed since the datasets were indexed: indexing all $in_db anew"
    dev_search_index rebuild --quiet
  elif ((in_solr < in_db)); then
    say "the search index holds $in_solr of $in_db datasets: indexing the missing ones"
    dev_search_index rebuild --only-missing --quiet
  elif ((in_solr > in_db)); then
    # datasets the database no longer has (a database made anew beside an old index)
    say "the search index holds $in_solr entries for $in_db datasets: indexing them anew"
    dev_search_index clear && dev_search_index rebuild --quiet
  fi
  echo "$schema_now" >"$schema_indexed_file"
}

# A second, stock CKAN (core plugins only, own database, Solr core and Redis database)
# serving an opendata.dk-style catalog: a real source for the harvesters. It runs on the
# default CKAN release whichever release the suite is tested on.
peer_ckan() { "$CDX_DEFAULT_VENV/bin/ckan" "$@"; }

peer() {
  local kind="$1" name db core redis_db port count variant=""
  case "$kind" in
    test) name=peer db=cdx_peer core=ckan_peer redis_db=3 port="$CDX_PEER_PORT" count=240 ;;
    # A second portal republishing part of the first one's catalog under its own ids.
    test2) name=peer2 db=cdx_peer2 core=ckan_peer2 redis_db=5 port="$CDX_PEER2_PORT" count=240
      variant=republished ;;
    bench) name=peer-bench db=cdx_peer_bench core=ckan_peer_bench redis_db=4 port="$CDX_PEER_BENCH_PORT"
      count="${CDX_PEER_BENCH_COUNT:-2200}" ;;
    *) echo "usage: $0 peer test|test2|bench" >&2; exit 2 ;;
  esac
  local ini="$CDX_VAR/$name.ini" dir="$CDX_DATA/$name" log="$CDX_LOG/$name.log" init_log="$CDX_LOG/$name-init.log"
  local url="http://127.0.0.1:$port"
  mkdir -p "$dir/storage"
  local release
  release="$("$CDX_DEFAULT_VENV/bin/python" -c 'import ckan; print(ckan.__version__)')"
  local wanted="$db $core $redis_db $port $CDX_PG_PORT $CDX_SOLR_PORT $CDX_REDIS_PORT $release"
  if [[ ! -f "$ini" || "$(cat "$dir/ini.stamp" 2>/dev/null)" != "$wanted" ]]; then
    # Set up anew (another CKAN release migrates its database on `db init` below).
    stop_daemon "$name"
    : >"$init_log"
    psql_admin -d postgres >>"$init_log" 2>&1 <<SQL || die "$name" "could not create its database" "$init_log"
SELECT 'CREATE DATABASE $db OWNER $DB_USER ENCODING ''UTF8'' TEMPLATE template0'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\gexec
SQL
    rm -f "$ini"
    peer_ckan generate config "$ini" >>"$init_log" 2>&1 || die "$name" "could not write $ini" "$init_log"
    peer_ckan config-tool "$ini" \
      "sqlalchemy.url = postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$CDX_PG_PORT/$db" \
      "solr_url = http://127.0.0.1:$CDX_SOLR_PORT/solr/$core" \
      "ckan.redis.url = redis://127.0.0.1:$CDX_REDIS_PORT/$redis_db" \
      "ckan.site_url = $url" "ckan.site_id = cdx_$name" "ckan.site_title = Open data ($name)" \
      "ckan.storage_path = $dir/storage" "ckan.plugins = activity" >>"$init_log" 2>&1 \
      || die "$name" "could not configure $ini" "$init_log"
    peer_ckan -c "$ini" db init >>"$init_log" 2>&1 || die "$name" "db init failed" "$init_log"
    peer_ckan -c "$ini" user add peeradmin email=peeradmin@peer.invalid password=peer-admin-password \
      >>"$init_log" 2>&1 || true
    peer_ckan -c "$ini" sysadmin add peeradmin >>"$init_log" 2>&1 || die "$name" "no sysadmin" "$init_log"
    peer_ckan -c "$ini" user token add -q peeradmin seed 2>>"$init_log" | tail -n 1 | tr -d '[:space:]' >"$dir/token"
    [[ -s "$dir/token" ]] || die "$name" "could not create an API token" "$init_log"
    echo "$wanted" >"$dir/ini.stamp"
  fi
  if ! pid_alive "$CDX_RUN/$name.pid"; then
    require_free_port "$name" "$port" "$(case $kind in test) echo CDX_PEER_PORT ;; test2) echo CDX_PEER2_PORT ;; *) echo CDX_PEER_BENCH_PORT ;; esac)"
    say "starting the stock CKAN '$name' on $url"
    start_daemon "$name" "$log" "$CDX_DEFAULT_VENV/bin/ckan" -c "$ini" run --host 127.0.0.1 --port "$port" \
      --disable-reloader --threaded
  fi
  local deadline=$((SECONDS + 90))
  until curl -sf "$url/api/3/action/status_show" >/dev/null; do
    pid_alive "$CDX_RUN/$name.pid" || die "$name" "the web server exited during start-up" "$log"
    ((SECONDS < deadline)) || die "$name" "not answering after 90s" "$log"
    sleep 0.3
  done
  CDX_API_TOKEN="$(cat "$dir/token")" "$CDX_DEFAULT_VENV/bin/python" "$CDX_ROOT/scripts/peer_seed.py" \
    "$url" "$count" "$dir/seeded.json" $variant >>"$init_log" 2>&1 || die "$name" "seeding failed" "$init_log"
  tail -n 1 "$init_log"
  "$CDX_DEFAULT_VENV/bin/python" -c 'import json, sys; json.dump({"url": sys.argv[1], "token": open(sys.argv[2]).read().strip(), "count": int(sys.argv[3]), "ini": sys.argv[4], "state": sys.argv[5], "variant": sys.argv[7]}, open(sys.argv[6], "w"))' \
    "$url" "$dir/token" "$count" "$ini" "$dir/seeded.json" "$CDX_DATA/$name.json" "$variant"
}

# The harvest sources declared in config/harvest-sources.yaml (idempotent).
sources() {
  use_env dev
  venv_ckan -c "$CDX_INI" cityharvest load 2>>"$CDX_LOG/ckan-init-dev.log" | sed 's/^/    harvest source /' \
    || die cityharvest "could not load config/harvest-sources.yaml" "$CDX_LOG/ckan-init-dev.log"
}

stop() {
  stop_daemon peer
  stop_daemon peer2
  stop_daemon peer-bench
  stop_daemon scheduler
  stop_daemon harvest-gather
  stop_daemon harvest-fetch
  stop_daemon worker
  stop_daemon ckan
  rm -f "$CDX_RUN/ckan.port"
}

demo() {
  use_env dev
  local log="$CDX_LOG/demo.log" stamp_file="$CDX_DATA/demo.stamp" stamp
  stamp="$(stamp "$CDX_ROOT/test-data/demo" "$CDX_ROOT/scripts/load_demo.py")"
  if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]]; then
    return 0
  fi
  say "creating the sysadmin '$CDX_ADMIN_USER' and loading the demo catalog (log: $log)"
  : >"$log"
  if ! venv_ckan -c "$CDX_INI" user show "$CDX_ADMIN_USER" 2>>"$log" | grep -q "name=$CDX_ADMIN_USER"; then
    venv_ckan -c "$CDX_INI" user add "$CDX_ADMIN_USER" email="$CDX_ADMIN_USER@cityexchange.invalid" \
      password="$CDX_ADMIN_PASSWORD" fullname="Portal operator" >>"$log" 2>&1 \
      || die demo "could not create the sysadmin" "$log"
  fi
  venv_ckan -c "$CDX_INI" sysadmin add "$CDX_ADMIN_USER" >>"$log" 2>&1 || die demo "could not make $CDX_ADMIN_USER a sysadmin" "$log"
  local token
  token="$(venv_ckan -c "$CDX_INI" user token add -q "$CDX_ADMIN_USER" demo-loader 2>>"$log" | tail -n 1 | tr -d '[:space:]')"
  [[ -n "$token" ]] || die demo "could not create an API token" "$log"
  CDX_API_TOKEN="$token" "$CDX_VENV/bin/python" "$CDX_ROOT/scripts/load_demo.py" \
    "http://127.0.0.1:$CDX_PORT" "$CDX_ROOT/test-data/demo" 2>&1 | tee -a "$log" \
    || die demo "loading the demo catalog failed" "$log"
  echo "$stamp" >"$stamp_file"
}

case "${1:-}" in
  init) init "${2:-dev}" ;;
  start) start ;;
  stop) stop ;;
  demo) demo ;;
  reindex) reindex_if_needed ;;
  peer) peer "${2:-test}" ;;
  sources) sources ;;
  env) use_env "${2:-dev}"; env | grep '^CDX_' | grep -v SECRET ;;
  *) echo "usage: $0 init dev|test | start | stop | demo" >&2; exit 2 ;;
esac
