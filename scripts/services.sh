#!/usr/bin/env bash
# PostgreSQL, Redis, Solr and stripe-mock for development and tests, all on 127.0.0.1, all data and
# logs under $CDX_VAR. Usage: services.sh start|stop|status
#
# Starting is idempotent: a running service is reused. A port taken by another program
# or a service that does not come up stops the script with the service's name and log.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
# The suite's cores (our schema, solr/conf) and the stock ones (CKAN's own schema): the
# stock CKAN instances the harvest tests and benchmark read from (ckan_peer*) and the
# relevance benchmark's stock side (ckan_stock).
SUITE_CORES=(ckan ckan_test ckan_bench ckan_211 ckan_test_211)
STOCK_CORES=(ckan_peer ckan_peer2 ckan_peer_bench ckan_stock)
SOLR_CORES=("${SUITE_CORES[@]}" "${STOCK_CORES[@]}")
SUITE_CONF=(schema.xml solrconfig.xml synonyms.txt)

# PostgreSQL refuses to run as root: when we are root, its processes run as "postgres".
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Make sure the postgres user can reach a folder of ours (mktemp folders are 0700).
grant_pg_access() {
  [[ "$(id -u)" == 0 ]] || return 0
  local dir
  for dir in "$CDX_PGDATA" "$CDX_PG_SOCKET"; do
    mkdir -p "$dir"
    chown postgres: "$dir"
    chmod 700 "$dir"
  done
  touch "$CDX_LOG/postgres.log"
  chown postgres: "$CDX_LOG/postgres.log"
  # Walk from / down to the data folder, so each folder is checked once its parent is open.
  local path="" part
  IFS=/ read -ra parts <<<"$(dirname "$CDX_PGDATA")"
  for part in "${parts[@]}"; do
    [[ -n "$part" ]] || continue
    path="$path/$part"
    if ! runuser -u postgres -- test -x "$path"; then
      say "granting the postgres user passage through $path"
      chmod o+x "$path"
    fi
  done
}

pg_running() { as_pg "$PG_BIN/pg_ctl" -D "$CDX_PGDATA" status >/dev/null 2>&1; }

pg_start() {
  local log="$CDX_LOG/postgres.log"
  [[ -n "$PG_BIN" ]] || die postgres "no PostgreSQL server found; run scripts/install.sh"
  mkdir -p "$CDX_PGDATA" "$CDX_PG_SOCKET"
  grant_pg_access
  if [[ -f "$CDX_PGDATA/PG_VERSION" ]] && pg_running; then
    return 0
  fi
  if [[ ! -f "$CDX_PGDATA/PG_VERSION" ]]; then
    # A half-made cluster from an interrupted run would break every later run.
    find "$CDX_PGDATA" -mindepth 1 -delete
    say "initialising PostgreSQL in $CDX_PGDATA"
    as_pg "$PG_BIN/initdb" -D "$CDX_PGDATA" --username=postgres --encoding=UTF8 \
      --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >>"$log" 2>&1 || {
      find "$CDX_PGDATA" -mindepth 1 -delete
      die postgres "initdb failed" "$log"
    }
  fi
  require_free_port postgres "$CDX_PG_PORT" CDX_PG_PORT
  say "starting PostgreSQL on 127.0.0.1:$CDX_PG_PORT"
  as_pg "$PG_BIN/pg_ctl" -D "$CDX_PGDATA" -l "$log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $CDX_PG_PORT -k $CDX_PG_SOCKET -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 2>&1 || die postgres "did not start" "$log"
}

pg_stop() {
  [[ -n "$PG_BIN" && -f "$CDX_PGDATA/PG_VERSION" ]] || return 0
  if pg_running; then
    as_pg "$PG_BIN/pg_ctl" -D "$CDX_PGDATA" -m fast -w stop >/dev/null 2>&1 || true
    say "stopped postgres"
  fi
}

redis_start() {
  local log="$CDX_LOG/redis.log" pidfile="$CDX_RUN/redis.pid"
  pid_alive "$pidfile" && return 0
  command -v redis-server >/dev/null || die redis "redis-server not found; run scripts/install.sh"
  require_free_port redis "$CDX_REDIS_PORT" CDX_REDIS_PORT
  mkdir -p "$CDX_DATA/redis"
  say "starting Redis on 127.0.0.1:$CDX_REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$CDX_REDIS_PORT" --dir "$CDX_DATA/redis" \
    --daemonize yes --pidfile "$pidfile" --logfile "$log" --save 60 1 --protected-mode yes \
    >>"$log" 2>&1 || die redis "did not start" "$log"
  wait_until 20 redis redis-cli -h 127.0.0.1 -p "$CDX_REDIS_PORT" ping || die redis "did not answer PING" "$log"
}

redis_stop() {
  local pidfile="$CDX_RUN/redis.pid" pid
  if pid_alive "$pidfile"; then
    pid="$(cat "$pidfile")"
    redis-cli -h 127.0.0.1 -p "$CDX_REDIS_PORT" shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    wait_until 20 "redis stop" bash -c "! kill -0 $pid 2>/dev/null" || true
    say "stopped redis"
  fi
  rm -f "$pidfile"
}

# The Solr home: solr.xml plus one core per entry of SOLR_CORES. The suite's cores get
# solr/conf (our schema: CKAN's with Danish-aware search) and the decompounder's word list;
# the stock ones CKAN's own schema.xml from the installed package. All share our
# solrconfig.xml.
solr_home() {
  local stock core
  stock="$("$CDX_DEFAULT_VENV/bin/python" -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml"))')"
  [[ -f "$stock" ]] || die solr "CKAN's schema.xml not found; run scripts/install.sh"
  [[ -s "$CDX_SOLR_WORDS" ]] || die solr "the decompounder's word list is missing; run scripts/install.sh"
  mkdir -p "$CDX_SOLR_HOME"
  echo '<solr/>' >"$CDX_SOLR_HOME/solr.xml"
  for core in "${SOLR_CORES[@]}"; do
    mkdir -p "$CDX_SOLR_HOME/$core/conf"
    echo "name=$core" >"$CDX_SOLR_HOME/$core/core.properties"
    touch "$CDX_SOLR_HOME/$core/conf/"{synonyms,protwords,stopwords}.txt
  done
  for core in "${SUITE_CORES[@]}"; do
    cp "${SUITE_CONF[@]/#/$CDX_ROOT/solr/conf/}" "$CDX_SOLR_HOME/$core/conf/"
    cp "$CDX_SOLR_WORDS" "$CDX_SOLR_HOME/$core/conf/compound-da.txt"
  done
  for core in "${STOCK_CORES[@]}"; do
    cp "$stock" "$CDX_SOLR_HOME/$core/conf/schema.xml"
    cp "$CDX_ROOT/solr/conf/solrconfig.xml" "$CDX_SOLR_HOME/$core/conf/solrconfig.xml"
  done
}

# What the running Solr was started with: a change to our schema, configuration or word
# list restarts it (then reindex: `scripts/portal.sh reindex`).
solr_conf_stamp() {
  stamp "${SUITE_CONF[@]/#/$CDX_ROOT/solr/conf/}" "$CDX_SOLR_WORDS"
}

solr_ready() {
  local core
  for core in "${SOLR_CORES[@]}"; do
    curl -sf "http://127.0.0.1:$CDX_SOLR_PORT/solr/$core/admin/ping" >/dev/null || return 1
  done
}

solr_start() {
  local log="$CDX_LOG/solr.log" pidfile="$CDX_RUN/solr.pid"
  if pid_alive "$pidfile"; then
    if solr_ready && [[ "$(cat "$CDX_SOLR_HOME/.cdx-conf-stamp" 2>/dev/null)" == "$(solr_conf_stamp)" ]]; then
      return 0
    fi
    # Running from an older checkout: without a core this one needs, or with another
    # schema. Documents indexed under another schema lack its fields: reindex.
    say "restarting Solr to load every core with this checkout's schema (then: scripts/portal.sh reindex)"
    solr_stop
  fi
  [[ -f "$CDX_SOLR_LIB/.cdx-stamp" ]] || die solr "Solr's jars are missing; run scripts/install.sh"
  require_free_port solr "$CDX_SOLR_PORT" CDX_SOLR_PORT
  solr_home
  say "starting Solr 9 on 127.0.0.1:$CDX_SOLR_PORT"
  start_daemon solr "$log" java -Xms256m -Xmx768m \
    -Dsolr.log.dir="$CDX_LOG" -Dsolr.install.dir="$CDX_SOLR_HOME" \
    -cp "$CDX_SOLR_LIB/*" "$CDX_ROOT/solr/Launcher.java" "$CDX_SOLR_HOME" "$CDX_SOLR_PORT"
  local deadline=$((SECONDS + 120))
  until solr_ready; do
    pid_alive "$pidfile" || die solr "exited during start-up" "$log"
    ((SECONDS < deadline)) || { stop_daemon solr; die solr "not ready after 120s" "$log"; }
    sleep 0.3
  done
  solr_conf_stamp >"$CDX_SOLR_HOME/.cdx-conf-stamp"
}

solr_stop() { stop_daemon solr; }

# stripe-mock: Stripe's API as the official mock server answers it, on loopback only
# (its HTTPS listener goes to a Unix socket, so that nothing else is opened).
stripe_mock_start() {
  local log="$CDX_LOG/stripe-mock.log"
  pid_alive "$CDX_RUN/stripe-mock.pid" && return 0
  [[ -x "$CDX_STRIPE_MOCK_BIN" ]] || die stripe-mock "not installed; run scripts/install.sh"
  require_free_port stripe-mock "$CDX_STRIPE_MOCK_PORT" CDX_STRIPE_MOCK_PORT
  say "starting stripe-mock on 127.0.0.1:$CDX_STRIPE_MOCK_PORT"
  rm -f "$CDX_RUN/stripe-mock-https.sock"
  start_daemon stripe-mock "$log" "$CDX_STRIPE_MOCK_BIN" -http-addr "127.0.0.1:$CDX_STRIPE_MOCK_PORT" \
    -https-unix "$CDX_RUN/stripe-mock-https.sock"
  local deadline=$((SECONDS + 30))
  until port_open "$CDX_STRIPE_MOCK_PORT"; do
    pid_alive "$CDX_RUN/stripe-mock.pid" || die stripe-mock "exited during start-up" "$log"
    ((SECONDS < deadline)) || { stop_daemon stripe-mock; die stripe-mock "not listening after 30s" "$log"; }
    sleep 0.1
  done
}

status() {
  local name state
  pg_running 2>/dev/null && state=up || state=down
  printf '%-10s %-5s 127.0.0.1:%s\n' postgres "$state" "$CDX_PG_PORT"
  for name in redis solr stripe-mock; do
    pid_alive "$CDX_RUN/$name.pid" && state=up || state=down
    local port_var="CDX_${name^^}_PORT"
    port_var="${port_var//-/_}"
    printf '%-10s %-5s 127.0.0.1:%s\n' "$name" "$state" "${!port_var}"
  done
}

case "${1:-}" in
  start) pg_start; redis_start; solr_start; stripe_mock_start ;;
  stop) stop_daemon stripe-mock; solr_stop; redis_stop; pg_stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
