#!/bin/sh
# The scheduler: the portal's periodic commands, one round every INTERVAL seconds.
#
#   sh scripts/scheduler.sh INI [INTERVAL]
#
# INTERVAL defaults to $CDX_SCHEDULER_INTERVAL, else 300. $CDX_CKAN is the ckan command
# (default: `ckan` on PATH). Each round runs, one after the other:
#   ckan harvester run                       start the harvest runs that are due, mark
#                                            finished ones
#   ckan pricing reconcile --since-hours 72  fulfil paid orders whose webhook was lost
#   ckan pricing parked --expire             expire payment events parked too long
#   ckan dealroom expire                     expire deals whose agreed period has ended
# A command that fails is reported on stderr and the loop goes on.
#
# This is the only copy of the loop: scripts/portal.sh starts it in development (with
# CDX_CKAN=var/venv/bin/ckan), and the docker image (docker/Dockerfile copies it to
# /srv/app/scripts/) runs it for the `scheduler` role of docker/entrypoint.sh.
set -u

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  echo "usage: $0 INI [INTERVAL]" >&2
  exit 2
fi
ini="$1"
interval="${2:-${CDX_SCHEDULER_INTERVAL:-300}}"
ckan="${CDX_CKAN:-ckan}"

case "$interval" in
  '' | *[!0-9]* | 0)
    echo "scheduler: the interval must be a positive number of seconds, not '$interval'" >&2
    exit 2
    ;;
esac
if [ ! -r "$ini" ]; then
  echo "scheduler: cannot read $ini" >&2
  exit 2
fi

# Stop between commands or during the pause on TERM or INT (`docker stop`, portal.sh
# stop): the pause runs in the background so that the trap is not held up by it.
pause=
trap '[ -n "$pause" ] && kill "$pause" 2>/dev/null; exit 0' TERM INT

echo "scheduler: every ${interval}s with $ini"
while :; do
  "$ckan" -c "$ini" harvester run || echo "scheduler: harvester run failed" >&2
  "$ckan" -c "$ini" pricing reconcile --since-hours 72 || echo "scheduler: reconcile reported errors" >&2
  "$ckan" -c "$ini" pricing parked --expire >/dev/null || echo "scheduler: parked events could not be expired" >&2
  "$ckan" -c "$ini" dealroom expire || echo "scheduler: dealroom expire failed" >&2
  sleep "$interval" &
  pause=$!
  wait "$pause"
  pause=
done
