#!/usr/bin/env bash
# Run the tests N times in a row with a CPU hog on every core, and report each failure.
#
#   scripts/stress-suite.sh N [PYTEST ARGS...]
#   scripts/stress-suite.sh 10 tests/faults tests/hooks tests/meter
#   scripts/stress-suite.sh 2                       # the whole suite, twice
#
# The hog is one busy process per core (nproc), at normal priority, for the whole session;
# it is stopped on exit, Ctrl-C included. Each run's pytest output goes to
# stress-output/run-K.log; failing test ids are listed per run, and a summary ends the
# output. Exit code: 0 when every run passed, 1 otherwise, 2 on bad usage.
set -uo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/stress-suite.sh N [PYTEST ARGS...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
runs=$1
shift
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "stress-suite: N must be a whole number ≥ 1, got '$runs'" >&2; exit 2; }

cores=$(nproc)
hog_count=${STRESS_HOGS:-$cores}  # tests of this script set a smaller number
hogs=()
stop_hogs() {
  for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null; done
  hogs=()
}
trap stop_hogs EXIT
trap 'stop_hogs; exit 130' INT TERM
for _ in $(seq "$hog_count"); do
  python3 -c "while True: pass" &
  hogs+=("$!")
done

out=${STRESS_OUTPUT:-stress-output}
mkdir -p "$out"
echo "stress-suite: $runs run(s) of: pytest $* (with $hog_count CPU hog(s) on $cores core(s))"
green=0
streak=0
best=0
failed_runs=()
for k in $(seq "$runs"); do
  log="$out/run-$k.log"
  start=$(date +%s)
  python3 -m pytest -q -p no:cacheprovider -rfE "$@" >"$log" 2>&1
  code=$?
  secs=$(( $(date +%s) - start ))
  summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed)|^=+ .*(passed|failed|error).* =+$' "$log" | tail -1)
  if [ "$code" -eq 0 ]; then
    green=$((green + 1)); streak=$((streak + 1))
    echo "run $k/$runs: green in ${secs}s ($summary)"
  else
    streak=0
    failed_runs+=("$k")
    echo "run $k/$runs: FAILED (exit $code) in ${secs}s ($summary); log: $log"
    grep -E '^(FAILED|ERROR) ' "$log" | sed 's/^/    /'
  fi
  [ "$streak" -gt "$best" ] && best=$streak
done

echo "stress-suite: $green/$runs green; longest green streak $best; load: $hog_count hog(s) on $cores core(s)"
if [ ${#failed_runs[@]} -gt 0 ]; then
  echo "stress-suite: failed runs: ${failed_runs[*]}"
  exit 1
fi
exit 0
