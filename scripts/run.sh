#!/usr/bin/env bash
# Run Persist locally: migrate, seed the demo, then the web server and the django-q2 cluster
# together. Ctrl-C stops both. With DATABASE_URL unset an embedded PostgreSQL server (pgserver)
# keeps the data in var/postgres and is stopped with them.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ]; then
    exec .venv/bin/python scripts/embedded_postgres.py -- bash scripts/run.sh "$@"
fi

export DEBUG="${DEBUG:-true}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
PY=.venv/bin/python

$PY manage.py migrate --no-input
$PY manage.py seed_demo
$PY manage.py setup_schedules

pids=()
STOP_GRACE_SECONDS=15
cleanup() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    # A cluster signalled while still starting can miss the signal: give both processes a grace
    # period, then make sure nothing outlives the command.
    for _ in $(seq $((STOP_GRACE_SECONDS * 2))); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.5
    done
    for pid in "${pids[@]}"; do pkill -KILL -P "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# Its own session: Ctrl-C reaches only this script, which stops the cluster with one SIGTERM
# (a cluster that gets SIGINT and SIGTERM together can hang while stopping).
setsid $PY manage.py qcluster &
pids+=($!)
$PY manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)
echo "Persist is running on http://$HOST:$PORT/ (Ctrl-C stops the web server and the task cluster)"
# Exit as soon as either process dies, so a crash is never hidden behind a half-running app.
wait -n "${pids[@]}"
