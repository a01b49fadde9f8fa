#!/bin/sh
# Container entrypoint: the first argument picks the role, the rest are passed to the CLI.
#
#   start | api | worker | scheduler | migrate   run that role (`start` runs all three, migrating first)
#   admin <subcommand> …                         an admin command (`admin rotate-key`, …)
#   --help | --version | --<option> …            the CLI itself (`start` is its default command)
#   anything else                                refused (exit 2), so a typo never starts the wrong thing
#
# It `exec`s node, so node receives the signals itself (from tini, PID 1 in the image) and its
# exit code is the container's: 0 after a clean drain on SIGTERM, 1 on a failed start or a
# shutdown past SHUTDOWN_TIMEOUT_MS, 78 on bad configuration. Run directly (tests, a checkout),
# it finds the app relative to itself.
set -eu

app_dir=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cli="$app_dir/bin/switchyard.mjs"

# In a container the server must listen on every interface to be reachable at all, unlike a
# developer's checkout (127.0.0.1). An explicit HOST still wins.
export HOST="${HOST:-0.0.0.0}"

role="${1:-start}"
[ "$#" -gt 0 ] && shift

case "$role" in
  start | api | worker | scheduler | migrate | admin)
    exec node "$cli" "$role" "$@"
    ;;
  -*)
    # Options only (`--help`, `--port 8080`): the CLI's default command, `start`.
    exec node "$cli" "$role" "$@"
    ;;
  *)
    echo "docker-entrypoint: unknown role '$role' (expected start, api, worker, scheduler, migrate or admin)" >&2
    exit 2
    ;;
esac
