#!/usr/bin/env bash
# Two kink-agent processes speaking KINK over real UDP on loopback, keyed by
# a private MIT KDC (kdc_tool), with in-memory SADs (this kernel has no ESP):
# SA pairs come up mirrored, bad peer files are refused with exit 2, an
# unpaired principal is refused, and a stopped agent's DELETE removes the
# pair on the other side.
set -euo pipefail

kdc_tool="$1"; agent="$2"
work="${TEST_TMPDIR:-$(mktemp -d)}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do echo "--- $f"; tail -n 20 "$f"; done >&2
  exit 1
}

"$kdc_tool" --dir "$work" kink/host-a.test kink/host-b.test kink/host-c.test \
  2> "$work/kdc.log" &
pids+=($!)
for _ in $(seq 1 100); do [[ -s "$work/kdc.env" ]] && break; sleep 0.1; done
[[ -s "$work/kdc.env" ]] || fail "KDC did not start"
set -a; . "$work/kdc.env"; set +a

# Free UDP ports for this run (tests may run in parallel).
read -r port_a port_b < <(python3 -c '
import socket
s = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

peers() {  # file principal address port initiator
  cat > "$1" <<YAML
peers:
  - principal: $2@$KINK_REALM
    address: $3
    port: $4
    initiator: $5
    proposals: [{esp: aes256gcm16}, {esp: aes128-sha256}]
    dpd: {interval_seconds: 2, max_tries: 2}
YAML
}
run_agent() {  # name host address port peers-file
  "$agent" --controller none --xfrm memory \
    --principal "kink/$2.test@$KINK_REALM" --keytab "$(eval echo \$KINK_KEYTAB_kink_${2//-/_}_test)" \
    --address "$3" --kink-port "$4" --peers-file "$5" \
    --status-file "$work/$1.json" --replay-cache "$work/$1.rcache" \
    2> "$work/$1.log" &
  pids+=($!)
}
pairs() {  # status file -> "peer inbound outbound" lines
  python3 - "$1" <<'PY'
import json, sys
try:
    status = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
for p in status["sa_pairs"]:
    print(p["peer"], p["inbound_spi"], p["outbound_spi"], p["suite"])
PY
}
wait_for() {  # seconds command...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.1
  done
}

# Bad peer files: refused before anything starts, with the offending path.
printf 'peers:\n  - {principal: p, address: 127.0.0.2, port: 99999}\n' > "$work/bad.yaml"
set +e
"$agent" --controller none --xfrm memory --principal "kink/host-a.test@$KINK_REALM" \
  --keytab "$KINK_KEYTAB_kink_host_a_test" --address 127.0.0.1 --kink-port "$port_a" \
  --peers-file "$work/bad.yaml" 2> "$work/bad.log"; rc=$?
set -e
[[ $rc -eq 2 ]] || fail "bad peers file: exit $rc, want 2"
grep -q "peers\[0\].port: must be at most 65535" "$work/bad.log" || fail "no path in: $(cat "$work/bad.log")"
printf 'peers:\n  - {principal: p@R, address: 127.0.0.2, proposals: [{esp: des}]}\n' > "$work/bad2.yaml"
set +e
"$agent" --controller none --xfrm memory --principal "kink/host-a.test@$KINK_REALM" \
  --keytab "$KINK_KEYTAB_kink_host_a_test" --address 127.0.0.1 --kink-port "$port_a" \
  --peers-file "$work/bad2.yaml" --replay-cache "$work/bad2.rcache" 2> "$work/bad2.log"; rc=$?
set -e
[[ $rc -eq 2 ]] || fail "unknown suite: exit $rc, want 2"
grep -q "unknown ESP suite 'des'" "$work/bad2.log" || fail "no suite error in: $(cat "$work/bad2.log")"

# a initiates towards b.
peers "$work/a.yaml" kink/host-b.test 127.0.0.2 "$port_b" true
peers "$work/b.yaml" kink/host-a.test 127.0.0.1 "$port_a" false
run_agent a host-a 127.0.0.1 "$port_a" "$work/a.yaml"
pid_a=${pids[-1]}
run_agent b host-b 127.0.0.2 "$port_b" "$work/b.yaml"
pid_b=${pids[-1]}
have_pair() { [[ -n "$(pairs "$work/a.json")" && -n "$(pairs "$work/b.json")" ]]; }
wait_for 15 have_pair || fail "no SA pair within 15 s"
read -r peer_a in_a out_a suite_a <<< "$(pairs "$work/a.json")"
read -r peer_b in_b out_b suite_b <<< "$(pairs "$work/b.json")"
[[ "$peer_a" == "kink/host-b.test@$KINK_REALM" ]] || fail "a's peer is $peer_a"
[[ "$in_a" == "$out_b" && "$out_a" == "$in_b" ]] || fail "SPIs not mirrored: a $in_a/$out_a b $in_b/$out_b"
[[ "$suite_a" == aes256gcm16 && "$suite_b" == aes256gcm16 ]] || fail "suites $suite_a $suite_b"
grep -q "2-way CREATE" "$work/a.log" || fail "a logged no 2-way CREATE"
# The status files also list what each kernel holds: both SAs of the pair,
# keyed, and the same SPIs on both sides.
kernel_spis() {
  python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(" ".join(sorted(k["spi"] for k in s["kernel_sas"] if not k["larval"])))
PY
}
[[ "$(kernel_spis "$work/a.json")" == "$(kernel_spis "$work/b.json")" ]] ||
  fail "kernels differ: $(kernel_spis "$work/a.json") / $(kernel_spis "$work/b.json")"
[[ $(kernel_spis "$work/a.json" | wc -w) -eq 2 ]] || fail "a's kernel: $(kernel_spis "$work/a.json")"

# c names a principal b does not pair with: refused, nothing installed.
peers "$work/c.yaml" kink/host-b.test 127.0.0.2 "$port_b" true
read -r port_c < <(python3 -c '
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.3", 0)); print(s.getsockname()[1])')
run_agent c host-c 127.0.0.3 "$port_c" "$work/c.yaml"
pid_c=${pids[-1]}
refused() { grep -qs "notify 24" "$work/c.log"; }
wait_for 15 refused || fail "c was not refused with AUTHENTICATION_FAILED (24)"
grep -q "RequestRefused kink/host-c.test" "$work/b.log" || fail "b did not report the refusal"
[[ -z "$(pairs "$work/c.json")" ]] || fail "c has pairs"
kill "$pid_c"; wait "$pid_c" || fail "c did not stop cleanly"

# a stops: its DELETE removes the pair on b too.
kill "$pid_a"
wait "$pid_a" || fail "a did not exit 0"
gone() { [[ -z "$(pairs "$work/b.json")" ]]; }
wait_for 5 gone || fail "b still has a pair after a's DELETE"
grep -q "peer sent DELETE" "$work/b.log" || fail "b logged no DELETE"
kill "$pid_b"; wait "$pid_b" || fail "b did not exit 0"

# User-to-user: a asks b for its TGT (GETTGT), gets a ticket issued against
# it, and b verifies the CREATE with its TGT session key.
peers "$work/a.yaml" kink/host-b.test 127.0.0.2 "$port_b" true
echo "    user_to_user: true" >> "$work/a.yaml"
rm -f "$work/a.json" "$work/b.json"
run_agent a host-a 127.0.0.1 "$port_a" "$work/a.yaml"
pid_a=${pids[-1]}
run_agent b host-b 127.0.0.2 "$port_b" "$work/b.yaml"
pid_b=${pids[-1]}
wait_for 15 have_pair || fail "no user-to-user SA pair within 15 s"
read -r peer_a in_a out_a suite_a <<< "$(pairs "$work/a.json")"
read -r peer_b in_b out_b suite_b <<< "$(pairs "$work/b.json")"
[[ "$in_a" == "$out_b" && "$out_a" == "$in_b" ]] || fail "u2u SPIs not mirrored"
kill "$pid_a" "$pid_b"
wait "$pid_a" || fail "a did not exit 0"
wait "$pid_b" || fail "b did not exit 0"
echo PASS
