#!/bin/sh
# Run the whole pytest suite RUNS times in a row (default 3) while two busy loops load both cores,
# as a shared or slow machine would: timers fire late, worker threads finish out of order, and a
# test that guessed a delay instead of waiting for a signal fails here first. `make test-under-load`.
# The busy loops are this script's own children and are ended by their process ids on any exit.
set -u
RUNS="${RUNS:-3}"
PYTEST="${PYTEST:-.venv/bin/pytest}"
LOADERS=""

stop_load() {
    for pid in $LOADERS; do
        kill "$pid" 2>/dev/null
    done
}
trap stop_load EXIT
trap 'exit 130' INT TERM

for _ in 1 2; do
    sh -c 'while :; do :; done' &
    LOADERS="$LOADERS $!"
done
echo "under-load: busy loops $LOADERS; running the suite $RUNS times"

run=1
while [ "$run" -le "$RUNS" ]; do
    started=$(date +%s)
    if ! "$PYTEST" -q "$@"; then
        echo "under-load: run $run of $RUNS FAILED after $(( $(date +%s) - started )) s"
        exit 1
    fi
    echo "under-load: run $run of $RUNS passed in $(( $(date +%s) - started )) s"
    run=$((run + 1))
done
echo "under-load: all $RUNS runs passed"
