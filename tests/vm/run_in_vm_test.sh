#!/usr/bin/env bash
# Bazel test wrapper: runs scenario $1 in the VM with the remaining arguments
# (runfiles paths, made absolute so the guest finds them over 9p). The VM
# timeout stays under Bazel's (moderate: 300 s) so a hung guest still prints
# its console before Bazel kills the test.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
scenario=$(readlink -f "$1"); shift
args=()
for a in "$@"; do args+=("$(readlink -f "$a")"); done
exec "$here/vm_run.sh" --timeout "${KINK_VM_TIMEOUT:-280}" "$scenario" "${args[@]}"
