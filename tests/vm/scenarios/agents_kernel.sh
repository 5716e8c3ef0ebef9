#!/bin/bash
# VM scenario: two real kink-agent processes, one per network namespace
# (kinka 192.0.2.1, kinkb 192.0.2.2 over veth), key SAs in the real kernel
# with tickets from a private KDC: (a) ESP aes256gcm16 transport between the
# hosts, (b) an AH+ESP tunnel between 10.1.0.0/16 and 10.2.0.0/16, each
# carrying ping with only ESP / AH on the wire and every SA counting; (c)
# SIGTERM to A: exit 0, and A's DELETE leaves no SA and no policy on either
# side.
# $1: kdc_tool, $2: kink-agent (absolute paths).
set -euo pipefail
kdc_tool="$1"; agent="$2"
start=$(cut -d' ' -f1 /proc/uptime)
elapsed() { awk -v s="$start" '{printf "%.1f", $1 - s}' /proc/uptime; }
work=$(mktemp -d /tmp/agents.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.2
  ip netns del kinka 2>/dev/null || true
  ip netns del kinkb 2>/dev/null || true
}
trap cleanup EXIT
dump() {
  for f in "$work"/*.log; do echo "--- $f"; tail -n 40 "$f"; done
  for ns in kinka kinkb; do
    echo "--- $ns /proc/net/xfrm_stat"; ip netns exec $ns cat /proc/net/xfrm_stat
    echo "--- $ns ip -s xfrm state"; ip -n $ns -s xfrm state
    echo "--- $ns ip xfrm policy"; ip -n $ns xfrm policy
  done
}
fail() { echo "FAIL: $*"; dump; exit 1; }

# Up front: on-demand loading under TCG stalls, and ESP needs drbg first.
modprobe -a esp4 ah4 xfrm4_tunnel tunnel4 xfrm_user authenc echainiv seqiv \
  gcm ghash-generic cbc aes_generic sha1 sha256 sha512 hmac drbg veth dummy \
  2>/dev/null || true
mkdir -p /run/netns
ip netns add kinka
ip netns add kinkb
ip link add va netns kinka type veth peer name vb netns kinkb
for ns in kinka kinkb; do
  ip -n $ns link set lo up  # starts down; the KDC and A talk over it
  ip -n $ns link add sub type dummy
  ip -n $ns link set sub up
done
ip -n kinka addr add 192.0.2.1/24 dev va
ip -n kinkb addr add 192.0.2.2/24 dev vb
ip -n kinka link set va up
ip -n kinkb link set vb up
ip -n kinka addr add 10.1.0.1/16 dev sub
ip -n kinkb addr add 10.2.0.1/16 dev sub
ip -n kinka route add 10.2.0.0/16 via 192.0.2.2
ip -n kinkb route add 10.1.0.0/16 via 192.0.2.1
# The KDC's own address, as if on a third host reached through A: outside
# every SA's selectors (192.0.2.1 would be under the host-to-host policy of
# case a, and krb5's sockets, unlike KINK's, cannot bypass it).
ip -n kinka addr add 198.51.100.1/32 dev lo
ip -n kinkb route add 198.51.100.1/32 via 192.0.2.1
echo "scenario: network ready at $(elapsed)s"

# The KDC runs in A's namespace on 198.51.100.1, so B reaches it too.
ip netns exec kinka "$kdc_tool" --dir "$work" --address 198.51.100.1 \
  kink/host-a.test kink/host-b.test 2> "$work/kdc.log" &
pids+=($!)
for _ in $(seq 1 200); do [[ -s "$work/kdc.env" ]] && break; sleep 0.1; done
[[ -s "$work/kdc.env" ]] || fail "KDC did not start"
set -a; . "$work/kdc.env"; set +a
echo "scenario: KDC at $KINK_KDC ready at $(elapsed)s"

peers() {  # file peer-host peer-address initiator extra-yaml
  cat > "$1" <<YAML
peers:
  - principal: kink/$2.test@$KINK_REALM
    address: $3
    initiator: $4
$5
YAML
}
run_agent() {  # name ns host address
  ip netns exec "$2" "$agent" --controller none --xfrm kernel \
    --principal "kink/$3.test@$KINK_REALM" \
    --keytab "$(eval echo "\$KINK_KEYTAB_kink_${3//-/_}_test")" \
    --address "$4" --peers-file "$work/$1.yaml" \
    --status-file "$work/$1.json" --replay-cache "$work/$1.rcache" \
    2>> "$work/$1.log" &
  pids+=($!)
}
pairs() {  # status file -> "peer inbound outbound suite mode" lines
  python3 - "$1" <<'PY'
import json, sys
try:
    status = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
for p in status["sa_pairs"]:
    print(p["peer"], p["inbound_spi"], p["outbound_spi"], p["suite"], p["mode"],
          p.get("ah_inbound_spi", "-"), p.get("ah_outbound_spi", "-"))
PY
}
wait_for() {  # seconds command...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
# grep, not python, in polling loops: python starts slowly under TCG.
have_pair() { grep -qs '"inbound_spi"' "$work/a.json" && grep -qs '"inbound_spi"' "$work/b.json"; }
# "proto spi packets" per SA of `ip -s xfrm state` in namespace $1.
sa_counters() {
  ip -n "$1" -s xfrm state | awk '
    /^src / { proto = ""; spi = "" }
    /proto .* spi/ { for (i = 1; i < NF; i++) {
        if ($i == "proto") proto = $(i + 1); if ($i == "spi") spi = $(i + 1) } }
    /lifetime current:/ { want = 1; next }
    want && /packets/ { gsub(/[(),a-z]/, " "); print proto, spi, $2; want = 0 }'
}
expect_counters() {  # expected-SAs protos-regex
  local ns n
  for ns in kinka kinkb; do
    sa_counters $ns | sed "s/^/  $ns /"
    n=$(sa_counters $ns | awk -v re="$2" '$1 ~ re && $3 >= 3' | wc -l)
    ((n == $1)) || fail "$ns: $n SAs counted >= 3 packets, want $1"
  done
}
# Outbound capture on the veth (inbound would show decapsulated packets).
capture_start() {  # ns dev label
  ip netns exec "$1" tcpdump -n -U -Q out -i "$2" -w "$work/$3.pcap" \
    2> "$work/$3.tcpdump" &
  pids+=($!)
  capture_pid=$!
  wait_for 10 grep -qs listening "$work/$3.tcpdump" || fail "tcpdump did not start"
}
capture_check() {  # label protection-pattern
  sleep 1  # under TCG tcpdump lags behind the wire
  kill "$capture_pid"; wait "$capture_pid" || true
  tcpdump -n -r "$work/$1.pcap" 2>/dev/null > "$work/$1.txt"
  sed "s/^/  $1: /" "$work/$1.txt"
  (($(grep -c "$2" "$work/$1.txt") >= 3)) || fail "$1: fewer than 3 $2 packets"
  grep -v "$2" "$work/$1.txt" | grep -Ev "ARP|ICMP6" | grep -q . &&
    fail "$1: unprotected IP traffic on the wire"
  true
}
expect_empty() {  # no SA and no policy in either namespace
  local ns
  for ns in kinka kinkb; do
    [[ -z "$(ip -n $ns xfrm state)$(ip -n $ns xfrm policy)" ]] || return 1
  done
}
have_tcpdump=0
command -v tcpdump > /dev/null && have_tcpdump=1
mirrored() {  # expected suite mode
  read -r peer_a in_a out_a suite_a mode_a ahin_a ahout_a <<< "$(pairs "$work/a.json")"
  read -r peer_b in_b out_b suite_b mode_b ahin_b ahout_b <<< "$(pairs "$work/b.json")"
  echo "  a: $peer_a in $in_a out $out_a $suite_a $mode_a ah $ahin_a/$ahout_a"
  echo "  b: $peer_b in $in_b out $out_b $suite_b $mode_b ah $ahin_b/$ahout_b"
  [[ "$peer_a" == "kink/host-b.test@$KINK_REALM" &&
    "$peer_b" == "kink/host-a.test@$KINK_REALM" ]] || fail "wrong peers"
  [[ "$in_a" == "$out_b" && "$out_a" == "$in_b" ]] || fail "ESP SPIs not mirrored"
  [[ "$ahin_a" == "$ahout_b" && "$ahout_a" == "$ahin_b" ]] || fail "AH SPIs not mirrored"
  [[ "$suite_a" == "$1" && "$suite_b" == "$1" ]] || fail "suites $suite_a $suite_b, want $1"
  [[ "$mode_a" == "$2" && "$mode_b" == "$2" ]] || fail "modes $mode_a $mode_b, want $2"
}
stop_agent() {  # pid name
  kill -TERM "$1"
  local rc=0
  wait "$1" || rc=$?
  ((rc == 0)) || fail "agent $2 exited $rc after SIGTERM"
}

no_state() { [[ -z "$(ip -n "$1" xfrm state)" ]]; }
# Ignores the per-socket bypass policies of a running agent.
no_policy() { [[ -z "$(ip -n "$1" xfrm policy | grep -v '^src 0.0.0.0/0 dst 0.0.0.0/0' | grep -Ev '^\s+socket (in|out)')" ]]; }

# --- Bad input on the real kernel (both at once, to save VM time): a
# namespace that does not exist (exit 4), an address not in this one (5).
bad() {  # name expected-exit message args...
  local name=$1 want=$2 msg=$3 rc=0; shift 3
  wait "${bad_pids[$name]}" || rc=$?
  ((rc == want)) || fail "bad $name: exit $rc, want $want"
  grep -q "$msg" "$work/bad-$name.log" || fail "bad $name: no '$msg' in $(cat "$work/bad-$name.log")"
  echo "bad input $name: exit $rc, $(grep -o "$msg.*" "$work/bad-$name.log" | head -1)"
}
declare -A bad_pids
printf 'peers: []\n' > "$work/none.yaml"
ip netns exec kinka "$agent" --controller none --xfrm kernel --netns no-such-ns \
  --principal "kink/host-a.test@$KINK_REALM" --keytab "$KINK_KEYTAB_kink_host_a_test" \
  --address 192.0.2.1 --peers-file "$work/none.yaml" \
  --replay-cache "$work/bad.rcache" 2> "$work/bad-netns.log" &
bad_pids[netns]=$!
ip netns exec kinka "$agent" --controller none --xfrm kernel \
  --principal "kink/host-a.test@$KINK_REALM" --keytab "$KINK_KEYTAB_kink_host_a_test" \
  --address 192.0.2.2 --peers-file "$work/none.yaml" \
  --replay-cache "$work/bad2.rcache" 2> "$work/bad-address.log" &
bad_pids[address]=$!
bad netns 4 "XFRM backend 'kernel'"
bad address 5 "cannot start KINK"
no_state kinka && no_policy kinka || fail "a failed start left kernel state"
echo "bad input: PASS at $(elapsed)s"

# --- Case a: ESP transport between the hosts.
peers "$work/a.yaml" host-b 192.0.2.2 true "    proposals: [{esp: aes256gcm16}]"
peers "$work/b.yaml" host-a 192.0.2.1 false "    proposals: [{esp: aes256gcm16}]"
t0=$SECONDS
run_agent b kinkb host-b 192.0.2.2; pid_b=$!
run_agent a kinka host-a 192.0.2.1; pid_a=$!
wait_for 30 have_pair || fail "transport: no SA pair within 30 s"
echo "case a: pair up after $((SECONDS - t0))s (at $(elapsed)s)"
mirrored aes256gcm16 transport
((have_tcpdump)) && capture_start kinka va transport-a
ip netns exec kinka ping -c 3 -i 0.3 -W 5 192.0.2.2 || fail "transport: ping failed"
((have_tcpdump)) && capture_check transport-a "ESP(spi="
expect_counters 2 esp
stop_agent "$pid_a" a
stop_agent "$pid_b" b
wait_for 5 expect_empty || fail "transport: state left after both agents stopped"
echo "case a: PASS at $(elapsed)s"

# --- Case b: AH+ESP tunnel between the subnets.
tunnel() {  # local remote
  printf '    mode: tunnel\n    traffic: {local: %s, remote: %s}\n    proposals: [{esp: aes128-sha256, ah: sha256}]' "$1" "$2"
}
peers "$work/a.yaml" host-b 192.0.2.2 true "$(tunnel 10.1.0.0/16 10.2.0.0/16)"
peers "$work/b.yaml" host-a 192.0.2.1 false "$(tunnel 10.2.0.0/16 10.1.0.0/16)"
rm -f "$work/a.json" "$work/b.json"
t0=$SECONDS
run_agent b kinkb host-b 192.0.2.2; pid_b=$!
run_agent a kinka host-a 192.0.2.1; pid_a=$!
wait_for 30 have_pair || fail "tunnel: no SA pair within 30 s"
echo "case b: pair up after $((SECONDS - t0))s (at $(elapsed)s)"
mirrored ah-sha256+aes128-sha256 tunnel
[[ "$ahin_a" != - ]] || fail "tunnel: no AH SPIs in the status"
((have_tcpdump)) && capture_start kinka va tunnel-a
ip netns exec kinka ping -c 3 -i 0.3 -W 5 -I 10.1.0.1 10.2.0.1 || fail "tunnel: ping failed"
((have_tcpdump)) && capture_check tunnel-a "AH(spi="
expect_counters 4 "esp|ah"
ip -n kinka xfrm policy
# No XFRM error counter moved (KINK or KDC traffic caught by a policy would
# show as XfrmOutNoStates, a dropped ESP/AH packet as an In* counter).
for ns in kinka kinkb; do
  moved=$(ip netns exec $ns awk '$2 != 0' /proc/net/xfrm_stat)
  [[ -z "$moved" ]] || fail "$ns: xfrm_stat counters moved: $moved"
done
echo "case b: PASS at $(elapsed)s"

# --- Case c: SIGTERM to A: it removes its own state and its DELETE takes
# B's outbound SAs at once. By design (engine delete_grace, 10 s) B keeps its
# inbound SAs a little for packets in flight, and keeps its policies while A
# stays in its peers file (fail closed: no clear text to A's subnet); both go
# when B stops.
no_outbound_b() { ! ip -n kinkb xfrm state | grep -q '^src 192.0.2.2 '; }
no_pair_b() { ! grep -qs '"inbound_spi"' "$work/b.json"; }
t0=$(cut -d' ' -f1 /proc/uptime)
since() { awk -v s="$t0" '{printf "%.1f", $1 - s}' /proc/uptime; }
stop_agent "$pid_a" a
echo "case c: A exited 0 after $(since)s"
no_state kinka && no_policy kinka || fail "A left state in its namespace"
wait_for 5 no_outbound_b || fail "B kept its outbound SAs after A's DELETE"
wait_for 5 no_pair_b || fail "B still reports the pair"
grep -q "peer sent DELETE" "$work/b.log" || fail "b logged no DELETE"
echo "case c: B's outbound SAs and pair gone $(since)s after SIGTERM"
wait_for 15 no_state kinkb || fail "B kept its inbound SAs past delete_grace"
echo "case c: B's inbound SAs gone $(since)s after SIGTERM; B's policies:"
ip -n kinkb xfrm policy | sed 's/^/  /'
kill -0 "$pid_b" || fail "b died"
stop_agent "$pid_b" b
wait_for 5 expect_empty || fail "state left after both agents stopped"
echo "case c: both kernels empty (no state, no policy) $(since)s after SIGTERM to A"
echo "case c: PASS"
echo "scenario: PASS in $(elapsed)s"
