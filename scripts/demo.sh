#!/usr/bin/env bash
# The main job: a private MIT KDC, kink-controller on its embedded SQLite
# store, and two kink-agents that key an SA pair with KINK over real UDP on
# loopback, shown from both sides; then one agent stops and its DELETE takes
# the pair down on the other side too.
#
# The agents use the in-memory SAD/SPD (--xfrm memory): this sandbox's
# kernel has no ESP. On a host with ESP, --xfrm kernel installs the same
# SAs in the kernel (tests/vm runs that under qemu). The agents read their
# peers from YAML files; streaming them from the controller's policy is the
# next step.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/kink-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show_pairs() {  # status file
  python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"{s['principal']} ({s['address']}:{s['port']}, epoch {s['epoch']})")
if not s["sa_pairs"]:
    print("  no SA pairs")
for p in s["sa_pairs"]:
    role = "initiator" if p["initiated_here"] else "responder"
    print(f"  peer {p['peer']}  suite {p['suite']}  {p['mode']}  "
          f"in {p['inbound_spi']}  out {p['outbound_spi']}  ({role})")
for k in s.get("kernel_sas", []):
    state = "larval" if k["larval"] else k["algorithm"]
    print(f"    kernel SA {k['protocol']} {k['spi']} {k['src']} -> {k['dst']} "
          f"{k['mode']} {state}, {k['packets']} packets")
st = s["stats"]
print(f"  creates completed {st['creates_completed']}, pairs installed "
      f"{st['sa_pairs_installed']}, deleted {st['sa_pairs_deleted']}, "
      f"retransmissions {st['retransmissions']}")
PY
}
wait_file() {  # file seconds
  for _ in $(seq 1 $(($2 * 10))); do [[ -s "$1" ]] && return 0; sleep 0.1; done
  return 1
}

step "build kink-controller, kink-agent, kinkctl and the demo KDC"
bazel build //server:kink-controller //agent:kink-agent //client:kinkctl \
  //tests/kdc:kdc_tool
bin=$(bazel info bazel-bin 2>/dev/null)

step "start a private MIT KDC with kink/host-a.test and kink/host-b.test"
"$bin/tests/kdc/kdc_tool" --dir "$work" kink/host-a.test kink/host-b.test \
  2> >(sed 's/^/  [kdc] /' >&2) &
pids+=($!)
wait_file "$work/kdc.env" 20 || { echo "KDC did not start" >&2; exit 1; }
set -a; . "$work/kdc.env"; set +a
echo "realm $KINK_REALM, krb5.conf $KRB5_CONFIG"

step "start kink-controller (SQLite store $work/controller.db)"
"$bin/server/kink-controller" --listen 127.0.0.1:0 \
  --store "$work/controller.db" --port-file "$work/port" \
  2> >(sed 's/^/  [controller] /' >&2) &
pids+=($!)
wait_file "$work/port" 10 || { echo "controller did not start" >&2; exit 1; }
export KINKCTL_CONTROLLER="127.0.0.1:$(cat "$work/port")"
echo "controller serving on $KINKCTL_CONTROLLER"
"$bin/client/kinkctl" get agents || true

step "start two kink-agents (host-a 127.0.0.1:9101 initiates, host-b 127.0.0.2:9102)"
for side in a b; do
  if [[ $side == a ]]; then
    peer=b; address=127.0.0.1; port=9101; peer_address=127.0.0.2
    peer_port=9102; initiator=true
  else
    peer=a; address=127.0.0.2; port=9102; peer_address=127.0.0.1
    peer_port=9101; initiator=false
  fi
  cat > "$work/peers-$side.yaml" <<YAML
peers:
  - principal: kink/host-$peer.test@$KINK_REALM
    address: $peer_address
    port: $peer_port
    initiator: $initiator
    proposals: [{esp: aes256gcm16}, {esp: aes128-sha256}]
    lifetime: {soft_seconds: 2880, hard_seconds: 3600}
YAML
  keytab_var="KINK_KEYTAB_kink_host_${side}_test"
  "$bin/agent/kink-agent" --controller "$KINKCTL_CONTROLLER" --xfrm memory \
    --principal "kink/host-$side.test@$KINK_REALM" --keytab "${!keytab_var}" \
    --address "$address" --kink-port "$port" \
    --peers-file "$work/peers-$side.yaml" \
    --status-file "$work/status-$side.json" \
    --replay-cache "$work/host-$side.rcache" --label "host=$side" \
    2> >(sed "s/^/  [agent $side] /" >&2) &
  pids+=($!)
done
pid_a=${pids[-2]}
pid_b=${pids[-1]}

step "SA pairs, as each agent reports them"
for _ in $(seq 1 100); do
  if grep -qs '"peer"' "$work/status-a.json" &&
     grep -qs '"peer"' "$work/status-b.json"; then break; fi
  sleep 0.1
done
show_pairs "$work/status-a.json"
show_pairs "$work/status-b.json"
python3 - "$work/status-a.json" "$work/status-b.json" <<'PY'
import json, sys
a, b = (json.load(open(f))["sa_pairs"] for f in sys.argv[1:])
assert len(a) == 1 and len(b) == 1, "expected one SA pair on each side"
assert a[0]["inbound_spi"] == b[0]["outbound_spi"], "SPIs do not mirror"
assert a[0]["outbound_spi"] == b[0]["inbound_spi"], "SPIs do not mirror"
print("OK: one SA pair, a's inbound SA is b's outbound SA and vice versa")
PY

step "stop host-a (SIGTERM): its DELETE removes the pair on host-b"
kill -TERM "$pid_a"
wait "$pid_a"
for _ in $(seq 1 50); do
  grep -qs '"peer"' "$work/status-b.json" || break
  sleep 0.1
done
show_pairs "$work/status-b.json"

step "stop host-b, the controller and the KDC"
kill -TERM "$pid_b"
wait "$pid_b"
cleanup
wait 2>/dev/null || true
pids=()
echo "done; demo files in $work"
