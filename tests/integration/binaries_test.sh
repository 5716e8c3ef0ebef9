#!/usr/bin/env bash
# The three binaries as a user runs them: real processes, real gRPC over
# loopback, real signals.
set -euo pipefail

controller="$1"; agent="$2"; kinkctl="$3"
work="${TEST_TMPDIR:-$(mktemp -d)}"
controller_pid=""
cleanup() { [[ -n "$controller_pid" ]] && kill "$controller_pid" 2>/dev/null || true; }
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_contains() {  # haystack needle what
  [[ "$1" == *"$2"* ]] || fail "$3: expected to contain '$2', got: $1"
}

# --help and --version for each binary.
for bin in "$controller" "$agent" "$kinkctl"; do
  name=$(basename "$bin")
  "$bin" --help > "$work/help" || fail "$name --help exited non-zero"
  grep -q -- "--version" "$work/help" || fail "$name --help lists no --version"
  expect_contains "$("$bin" --version)" "$name 0." "$name --version"
done

# Controller on a free port with an SQLite file store.
"$controller" --listen 127.0.0.1:0 --store "$work/controller.db" \
  --port-file "$work/port" 2> "$work/controller.log" &
controller_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/port" ]] && break; sleep 0.1; done
[[ -s "$work/port" ]] || fail "controller did not start: $(cat "$work/controller.log")"
address="127.0.0.1:$(cat "$work/port")"
[[ -f "$work/controller.db" ]] || fail "controller created no SQLite store"

# kinkctl get agents: empty list, exit 0.
out=$("$kinkctl" --controller "$address" get agents 2> "$work/err")
[[ -z "$out" ]] || fail "unexpected agents: $out"
expect_contains "$(cat "$work/err")" "No agents found." "kinkctl get agents"
json=$("$kinkctl" --controller "$address" get agents -o json)
expect_contains "$json" '"agents": []' "kinkctl get agents -o json"

# Bad input to kinkctl: typed exit codes and clear messages.
set +e
"$kinkctl" --controller "$address" get agents -o yaml 2> "$work/err"; rc=$?
set -e
[[ $rc -eq 2 ]] || fail "unknown output format: exit $rc, want 2"
expect_contains "$(cat "$work/err")" "unknown output format" "bad -o"
set +e
"$kinkctl" --controller "$address" get agents -l 'zone!=a' 2> "$work/err"; rc=$?
set -e
[[ $rc -eq 2 ]] || fail "bad selector: exit $rc, want 2"

# Agent: --check against the running controller succeeds.
printf 'placeholder' > "$work/keytab"
"$agent" --check --xfrm memory --keytab "$work/keytab" --controller "$address" \
  --principal kink/host-a.test 2> "$work/agent.log" \
  || fail "agent --check failed: $(cat "$work/agent.log")"
set +e
"$agent" --check --keytab "$work/missing.keytab" --controller "$address" \
  2> "$work/agent.log"; rc=$?
set -e
[[ $rc -eq 2 ]] || fail "agent with missing keytab: exit $rc, want 2"
expect_contains "$(cat "$work/agent.log")" "missing.keytab" "missing keytab"

# Unknown XFRM backend: typed exit code and a message naming it.
set +e
"$agent" --check --xfrm pfkey --keytab "$work/keytab" --controller "$address" \
  --principal kink/host-a.test 2> "$work/agent.log"; rc=$?
set -e
[[ $rc -eq 4 ]] || fail "agent with unknown --xfrm: exit $rc, want 4"
expect_contains "$(cat "$work/agent.log")" "unknown XFRM backend 'pfkey'" "bad --xfrm"

# Controller stops cleanly on SIGTERM.
kill -TERM "$controller_pid"
wait "$controller_pid" || fail "controller exited $? on SIGTERM"
controller_pid=""
expect_contains "$(cat "$work/controller.log")" "stopped" "controller shutdown"

# With the controller gone, kinkctl and the agent say so.
set +e
"$kinkctl" --controller "$address" --timeout 3 get agents 2> "$work/err"; rc=$?
set -e
[[ $rc -eq 3 ]] || fail "kinkctl without controller: exit $rc, want 3"
expect_contains "$(cat "$work/err")" "cannot reach kink-controller" "unreachable"
set +e
"$agent" --check --xfrm memory --keytab "$work/keytab" --controller "$address" \
  --principal kink/host-a.test --controller-timeout 3 2> "$work/agent.log"; rc=$?
set -e
[[ $rc -eq 3 ]] || fail "agent without controller: exit $rc, want 3"

# A second start on the same store keeps working (schema already there).
"$controller" --listen 127.0.0.1:0 --store "$work/controller.db" \
  --port-file "$work/port2" 2> "$work/controller2.log" &
controller_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/port2" ]] && break; sleep 0.1; done
[[ -s "$work/port2" ]] || fail "controller restart failed: $(cat "$work/controller2.log")"
kill -INT "$controller_pid"; wait "$controller_pid" || fail "SIGINT exit $?"
controller_pid=""
echo "PASS"
