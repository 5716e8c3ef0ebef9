#!/usr/bin/env bash
# Runs every test: the whole suite, the suite again under address+undefined
# sanitizers, and each fuzzer for a while. Ends with "N passed, N failed".
#   bash scripts/test.sh            # everything (what CI runs)
#   FUZZ_SECONDS=10 bash scripts/test.sh
#   SKIP_ASAN=1 bash scripts/test.sh
set -uo pipefail

cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/kink-test.XXXXXX)
fuzz_seconds="${FUZZ_SECONDS:-60}"
status=0

echo "== bazel test //... (results in $out)"
bazel test //... --keep_going --build_event_json_file="$out/bep-default.json" \
  || status=1

if [[ -z "${SKIP_ASAN:-}" ]]; then
  echo "== bazel test --config=asan //... (VM tests excluded: same code, no sanitizers in the guest)"
  bazel test --config=asan //... --keep_going --test_tag_filters=-vm \
    --build_event_json_file="$out/bep-asan.json" || status=1
fi

if [[ -x tests/fuzz/run_fuzzers.sh && "$fuzz_seconds" -gt 0 ]]; then
  echo "== fuzzers, ${fuzz_seconds}s each"
  tests/fuzz/run_fuzzers.sh "$fuzz_seconds" 2>&1 | tee "$out/fuzz.log"
  fuzz_status=${PIPESTATUS[0]}
  [[ $fuzz_status -eq 0 ]] || status=1
  # One result line per fuzzer for the summary ("=== name: OK|FAILED").
  sed -n -e 's/^=== \([a-z_]*\): OK$/PASS fuzz:\1/p' \
    -e 's/^=== \([a-z_]*\): FAILED.*/FAIL fuzz:\1/p' \
    "$out/fuzz.log" > "$out/fuzz-results.txt"
  if [[ $fuzz_status -ne 0 && ! -s "$out/fuzz-results.txt" ]]; then
    echo "FAIL fuzz:build" > "$out/fuzz-results.txt"
  fi
fi

beps=("$out/bep-default.json")
[[ -z "${SKIP_ASAN:-}" ]] && beps+=("$out/bep-asan.json")
python3 scripts/test_summary.py "${beps[@]}" --extra "$out/fuzz-results.txt" \
  || status=1
exit $status
