#!/usr/bin/env bash
# Container entrypoint: render the same ini template as the development setup from the
# CDX_* environment, then run the requested role.
#   init     one-shot: wait for PostgreSQL and Solr, create or migrate the database
#            (`ckan db init`, every plugin's pending migrations), scrub stored
#            activities, make the worker's API token (once), load the harvest sources,
#            set the DataStore permissions, exit.
#            The only role that changes the schema: compose runs it once before the
#            others, so any number of web containers can start at the same time.
#   web      gunicorn serving CKAN on :5000 (no migrations)
#   worker   CKAN's background job worker (RQ on Redis)
#   scheduler  scripts/scheduler.sh, the same loop as in development: every
#            CDX_SCHEDULER_INTERVAL seconds the harvest runs that are due and finished
#            jobs (`ckan harvester run`), lost-payment reconciliation, expiry of parked
#            payment events and of deals
#   harvest-gather, harvest-fetch  ckanext-harvest's queue consumers (run more
#            harvest-fetch containers to import faster)
#   ckan ... any ckan CLI command
set -euo pipefail

: "${CDX_STORAGE_PATH:=/var/lib/ckan}"
# One secret for every container (web, worker, scheduler, harvest consumers): sessions,
# CSRF and API tokens made by one must hold in the others, so none makes its own.
if [[ -z "${CDX_SECRET_KEY:-}" ]]; then
  echo "entrypoint: CDX_SECRET_KEY is not set; give every container the same long random secret" >&2
  exit 1
fi
export CDX_SECRET_KEY CDX_STORAGE_PATH
# The worker's API token for fetching uploaded files into the DataStore (ckanext-xloader):
# made once by the init role and kept on the storage volume that web and worker share.
XLOADER_TOKEN_FILE="$CDX_STORAGE_PATH/.xloader-token"
if [[ -z "${CDX_XLOADER_TOKEN:-}" && -s "$XLOADER_TOKEN_FILE" ]]; then
  CDX_XLOADER_TOKEN="$(cat "$XLOADER_TOKEN_FILE")"
  export CDX_XLOADER_TOKEN
fi
python "$CDX_APP/scripts/render_config.py" "$CDX_CONFIG_DIR/ckan.ini.in" "$CKAN_INI"

wait_for_db() {
  local deadline=$((SECONDS + 120))
  until python - <<'PY' 2>/dev/null
import os, sqlalchemy
sqlalchemy.create_engine(os.environ["CDX_DB_URL"]).connect().close()
PY
  do
    ((SECONDS < deadline)) || { echo "entrypoint: PostgreSQL not reachable after 120s" >&2; exit 1; }
    sleep 1
  done
}

wait_for_solr() {
  local deadline=$((SECONDS + 120))
  until curl -sf -o /dev/null "$CDX_SOLR_URL/select?q=*:*&rows=0"; do
    ((SECONDS < deadline)) || { echo "entrypoint: Solr not answering at $CDX_SOLR_URL after 120s" >&2; exit 1; }
    sleep 1
  done
}

case "${1:-web}" in
  init)
    wait_for_db
    wait_for_solr
    ckan -c "$CKAN_INI" db init
    ckan -c "$CKAN_INI" db pending-migrations --apply
    ckan -c "$CKAN_INI" pricing scrub-activities
    if [[ -z "${CDX_XLOADER_TOKEN:-}" && ! -s "$XLOADER_TOKEN_FILE" ]]; then
      # the site user exists now (scrub-activities acts as it)
      (umask 077 && ckan -c "$CKAN_INI" user token add -q "${CDX_SITE_ID:-cityexchange}" xloader \
        | tail -n 1 | tr -d '[:space:]' >"$XLOADER_TOKEN_FILE")
      [[ -s "$XLOADER_TOKEN_FILE" ]] || { echo "entrypoint: could not create the worker's API token" >&2; exit 1; }
    fi
    ckan -c "$CKAN_INI" cityharvest load || echo "entrypoint: the harvest sources could not be loaded" >&2
    if [[ -n "${CDX_DATASTORE_ADMIN_URL:-}" ]]; then
      ckan -c "$CKAN_INI" datastore set-permissions | psql "$CDX_DATASTORE_ADMIN_URL" --set ON_ERROR_STOP=1 -q
    fi
    echo "entrypoint: the database is initialised and migrated"
    ;;
  web)
    wait_for_db
    exec gunicorn --bind 0.0.0.0:5000 --workers "${CDX_WEB_WORKERS:-4}" --timeout 120 \
      --chdir "$CDX_APP/docker" --access-logfile - wsgi:application
    ;;
  worker)
    wait_for_db
    exec ckan -c "$CKAN_INI" jobs worker
    ;;
  scheduler)
    wait_for_db
    exec sh "$CDX_APP/scripts/scheduler.sh" "$CKAN_INI"
    ;;
  harvest-gather)
    wait_for_db
    exec ckan -c "$CKAN_INI" harvester gather-consumer
    ;;
  harvest-fetch)
    wait_for_db
    exec ckan -c "$CKAN_INI" harvester fetch-consumer
    ;;
  ckan)
    shift
    exec ckan -c "$CKAN_INI" "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
