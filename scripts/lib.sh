# Shared settings and helpers for the development and test scripts.
# Sourced, never run. Every path and port can be overridden from the environment.

set -euo pipefail

CDX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CDX_ROOT

# One folder for everything the scripts create: virtualenv, caches, data, logs, pids.
CDX_VAR="${CDX_VAR:-$CDX_ROOT/var}"
mkdir -p "$CDX_VAR"
CDX_VAR="$(cd "$CDX_VAR" && pwd)"
export CDX_VAR
# The CKAN release the scripts run: 2.12 (the default) or 2.11 (`make ... CKAN=2.11`).
# Each has its own virtualenv, and 2.11 its own databases and Solr cores (CKAN 2.12's
# migrations are one-way), so the two never share data.
export CDX_CKAN_VERSION="${CDX_CKAN_VERSION:-2.12}"
case "$CDX_CKAN_VERSION" in
  2.12) CDX_VENV="$CDX_VAR/venv" CDX_VERSION_SUFFIX="" ;;
  2.11) CDX_VENV="$CDX_VAR/venv-2.11" CDX_VERSION_SUFFIX="_211" ;;
  *) printf 'error: CKAN=%s is not supported (2.12 or 2.11)\n' "$CDX_CKAN_VERSION" >&2; exit 2 ;;
esac
export CDX_VENV CDX_VERSION_SUFFIX
# The test configuration of that release (portal.sh init test writes it).
if [[ "$CDX_CKAN_VERSION" == 2.11 ]]; then
  export CDX_TEST_INI="$CDX_VAR/test-2.11.ini"
else
  export CDX_TEST_INI="$CDX_VAR/test.ini"
fi
# The default release's virtualenv: lint and the stock CKAN peers of the harvest tests
# run from it whichever release is tested.
export CDX_DEFAULT_VENV="$CDX_VAR/venv"
export CDX_CACHE="$CDX_VAR/cache"
export CDX_DATA="$CDX_VAR/data"
export CDX_LOG="$CDX_VAR/log"
export CDX_RUN="$CDX_VAR/run"

# Everything binds to loopback.
export CDX_HOST=127.0.0.1
export CDX_PORT="${CDX_PORT:-5000}"
export CDX_PG_PORT="${CDX_PG_PORT:-5433}"
export CDX_REDIS_PORT="${CDX_REDIS_PORT:-6380}"
export CDX_SOLR_PORT="${CDX_SOLR_PORT:-8983}"
export CDX_STRIPE_MOCK_PORT="${CDX_STRIPE_MOCK_PORT:-12111}"
# The stock CKAN instances the harvest tests and benchmark read from (portal.sh peer).
export CDX_PEER_PORT="${CDX_PEER_PORT:-5061}"
export CDX_PEER_BENCH_PORT="${CDX_PEER_BENCH_PORT:-5062}"
export CDX_PEER2_PORT="${CDX_PEER2_PORT:-5063}"

export CDX_PYTHON="${CDX_PYTHON:-python3.11}"
export CDX_SOLR_HOME="$CDX_DATA/solr"
export CDX_SOLR_LIB="$CDX_VAR/solr/lib"
export CDX_PGDATA="$CDX_DATA/postgres"
export CDX_PG_SOCKET="$CDX_RUN/postgres"
# The official stripe-mock server (Go module, pinned) stands in for Stripe's API.
export CDX_STRIPE_MOCK_VERSION="v0.203.0"
export CDX_STRIPE_MOCK_DIR="$CDX_VAR/stripe-mock"
export CDX_STRIPE_MOCK_BIN="$CDX_STRIPE_MOCK_DIR/bin/stripe-mock"
export CDX_STRIPE_MOCK_FIXTURES="$CDX_STRIPE_MOCK_DIR/fixtures3.json"
# The browser tests (tests/browser): Debian's Chromium, and axe-core installed by npm ci
# from tests/browser/package-lock.json.
export CDX_CHROMIUM=/usr/bin/chromium
export CDX_NODE="$CDX_VAR/node"
export CDX_AXE_JS="$CDX_NODE/node_modules/axe-core/axe.min.js"
# The base map's tiles and their attribution (config/ckan.ini.in); the tests use a blank
# tile the portal serves (scripts/portal.sh).
osm_tiles='https://tile.openstreetmap.org/{z}/{x}/{y}.png'
export CDX_MAP_TILES="${CDX_MAP_TILES:-$osm_tiles}"
export CDX_MAP_ATTRIBUTION="${CDX_MAP_ATTRIBUTION:-© OpenStreetMap contributors}"
# The word list of the Solr schema's Danish decompounder (solr/words/build.sh).
export CDX_SOLR_WORDS="$CDX_VAR/solr/words/compound-da.txt"

export PIP_CACHE_DIR="$CDX_CACHE/pip"
export PIP_DISABLE_PIP_VERSION_CHECK=1

mkdir -p "$CDX_CACHE" "$CDX_DATA" "$CDX_LOG" "$CDX_RUN"

say() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }

# die SERVICE MESSAGE [LOGFILE]: stop with a message naming the service and its log.
die() {
  local service="$1" message="$2" logfile="${3:-}"
  printf '\nerror: %s: %s\n' "$service" "$message" >&2
  if [[ -n "$logfile" && -f "$logfile" ]]; then
    printf '       log: %s (last lines below)\n' "$logfile" >&2
    tail -n 15 "$logfile" | sed 's/^/       | /' >&2
  fi
  exit 1
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pid_alive PIDFILE: true when the file names a running process.
pid_alive() {
  local pid
  [[ -f "$1" ]] || return 1
  pid="$(head -n 1 "$1" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds or the
# deadline passes. Returns non-zero on timeout.
wait_until() {
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  warn "$what: not ready after ${seconds}s"
  return 1
}

# start_daemon NAME LOGFILE COMMAND...: run COMMAND detached from the terminal, its
# output in LOGFILE, its pid in $CDX_RUN/NAME.pid.
start_daemon() {
  local name="$1" logfile="$2"
  shift 2
  # Keep the previous run's log beside the new one, so errors shown are this run's.
  [[ -s "$logfile" ]] && mv -f "$logfile" "$logfile.1"
  setsid "$@" </dev/null >"$logfile" 2>&1 &
  echo $! >"$CDX_RUN/$name.pid"
}

# stop_daemon NAME: stop the process group started by start_daemon, politely first.
stop_daemon() {
  local name="$1" pidfile="$CDX_RUN/$1.pid" pid
  if pid_alive "$pidfile"; then
    pid="$(head -n 1 "$pidfile")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 20))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    say "stopped $name"
  fi
  rm -f "$pidfile"
}

# require_free_port SERVICE PORT VARIABLE LOGFILE: refuse to start when the port is taken.
require_free_port() {
  local service="$1" port="$2" variable="$3"
  if port_open "$port"; then
    die "$service" "port $port on 127.0.0.1 is already taken by another program; stop it or choose another port with $variable=<port>"
  fi
}

venv_ckan() { "$CDX_VENV/bin/ckan" "$@"; }

# stamp PATH...: a short digest of the files under PATHs (missing paths are skipped), used
# to skip work whose inputs did not change since the last run.
stamp() {
  local path
  for path in "$@"; do
    [[ -e "$path" ]] || continue
    find "$path" -type f \( -name '*.pyc' -prune -o -print \) | LC_ALL=C sort | while read -r f; do
      printf '%s\n' "$f"
      cat "$f"
    done
  done | sha256sum | cut -c1-16
}
