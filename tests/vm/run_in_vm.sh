#!/usr/bin/env bash
# `bazel run` wrapper: like run_in_vm_test.sh, but with room for large runs.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
scenario=$(readlink -f "$1"); shift
args=()
for a in "$@"; do args+=("$(readlink -f "$a")"); done
exec "$here/vm_run.sh" --timeout "${KINK_VM_TIMEOUT:-1800}" \
  --memory "${KINK_VM_MEMORY:-6144}" "$scenario" "${args[@]}"
