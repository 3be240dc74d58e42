#!/usr/bin/env bash
# The periodic commands of the development portal, as docker/'s scheduler runs them:
# harvest runs that are due (and marking finished ones), lost-payment reconciliation,
# deal expiry. Every CDX_SCHEDULER_INTERVAL seconds (default 300). Started by portal.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ini="$1"
while true; do
  venv_ckan -c "$ini" harvester run || warn "scheduler: harvester run failed"
  venv_ckan -c "$ini" pricing reconcile --since-hours 72 || warn "scheduler: reconcile reported errors"
  venv_ckan -c "$ini" pricing parked --expire >/dev/null || warn "scheduler: parked events could not be expired"
  venv_ckan -c "$ini" dealroom expire || warn "scheduler: dealroom expire failed"
  sleep "${CDX_SCHEDULER_INTERVAL:-300}"
done
