#!/usr/bin/env bash
# Builds every libFuzzer target with --config=fuzz (clang-14, ASan+UBSan) and
# runs each for N seconds (first argument, default 60) from its seed corpus.
# Exits non-zero on any crash, leak, sanitizer report or build failure.
#
#   tests/fuzz/run_fuzzers.sh        # 60 s per target
#   tests/fuzz/run_fuzzers.sh 300    # 5 min per target
#
# The fuzz build uses its own Bazel output base: --config=fuzz switches the
# auto-configured C++ toolchain to clang (CC is read when the toolchain is
# generated), and doing that in the shared output base would make every
# other build re-detect its compiler and recompile. New inputs found during
# the run go to a temporary folder; the committed corpus is only read.
# Crash reproducers are kept in $FUZZ_ARTIFACTS (default: a temp folder).
set -euo pipefail

seconds="${1:-60}"
targets=(wire_message_fuzzer isakmp_qm_fuzzer engine_feed_fuzzer)

cd "$(dirname "$0")/../.."
output_base="${KINK_FUZZ_OUTPUT_BASE:-$HOME/.cache/kink-bazel-fuzz}"
work="$(mktemp -d)"
artifacts="${FUZZ_ARTIFACTS:-$work/artifacts}"
mkdir -p "$artifacts"
# The second Bazel server is stopped at the end: the machine is shared.
trap 'rm -rf "$work/corpus"; bazel --output_base="$output_base" shutdown >/dev/null 2>&1 || true' EXIT

labels=()
for t in "${targets[@]}"; do labels+=("//tests/fuzz:$t"); done
bazel --output_base="$output_base" build --config=fuzz --jobs=2 "${labels[@]}"
bin="$(bazel --output_base="$output_base" info --config=fuzz bazel-bin)"

failed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/corpus/$t"
  echo "=== $t: ${seconds}s"
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
     "$bin/tests/fuzz/$t" "$work/corpus/$t" "tests/fuzz/corpus/$t" \
       -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$artifacts/$t-" \
       2>"$work/$t.log"; then
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)" \
      "$work/$t.log" || true
    grep -E "^#[0-9]+.*DONE" "$work/$t.log" | tail -1 || true
    echo "=== $t: OK"
  else
    tail -n 60 "$work/$t.log"
    echo "=== $t: FAILED (reproducers in $artifacts)"
    failed=1
  fi
done
exit "$failed"
