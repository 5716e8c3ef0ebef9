#!/usr/bin/env bash
# The main job, as far as it goes today: build the three binaries, start
# kink-controller on its embedded SQLite store, ask it about the fleet with
# kinkctl, check an agent's configuration against it, and stop it cleanly.
# (Grows into: private KDC, controller, two agents, SAs established and shown.)
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/kink-demo.XXXXXX)
controller_pid=""
cleanup() {
  [[ -n "$controller_pid" ]] && kill "$controller_pid" 2>/dev/null || true
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "build kink-controller, kink-agent, kinkctl"
bazel build //server:kink-controller //agent:kink-agent //client:kinkctl
bin=$(bazel info bazel-bin 2>/dev/null)

step "start kink-controller (SQLite store $work/controller.db)"
"$bin/server/kink-controller" --listen 127.0.0.1:0 \
  --store "$work/controller.db" --port-file "$work/port" \
  2> >(sed 's/^/  [controller] /' >&2) &
controller_pid=$!
for _ in $(seq 1 100); do [[ -s "$work/port" ]] && break; sleep 0.1; done
[[ -s "$work/port" ]] || { echo "controller did not start" >&2; exit 1; }
export KINKCTL_CONTROLLER="127.0.0.1:$(cat "$work/port")"
echo "controller serving on $KINKCTL_CONTROLLER"

step "kinkctl get agents"
"$bin/client/kinkctl" get agents

step "kinkctl get agents -o json"
"$bin/client/kinkctl" get agents -o json

step "kink-agent --check (configuration, controller health, XFRM backend)"
printf 'demo' > "$work/demo.keytab"
"$bin/agent/kink-agent" --check --xfrm memory --keytab "$work/demo.keytab" \
  --principal kink/demo-host.test --controller "$KINKCTL_CONTROLLER" \
  --label zone=demo

step "stop kink-controller (SIGTERM)"
kill -TERM "$controller_pid"
wait "$controller_pid"
controller_pid=""
echo "controller stopped cleanly; demo files in $work"
