#!/bin/bash
# VM scenario: two namespaces joined by veth; ESP SAs and policies installed
# through agent/xfrm (xfrm_tool); UDP gets through; a capture on the veth
# shows only ESP; counters rise; soft and hard expiry events arrive; removal
# leaves nothing; then the same over IPv6. $1: xfrm_tool (absolute path).
set -euo pipefail
tool=$1
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del kinka 2>/dev/null || true
  ip netns del kinkb 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "== $* ($(cut -d' ' -f1 /proc/uptime)s)"; }

modprobe -a esp4 esp6 xfrm_user authenc echainiv seqiv gcm ghash-generic cbc \
  aes_generic sha1 sha256 sha512 hmac drbg veth 2>/dev/null || true
mkdir -p /run/netns
ip netns add kinka
ip netns add kinkb
ip link add va netns kinka type veth peer name vb netns kinkb
for ns in kinka kinkb; do ip -n $ns link set lo up; done
ip -n kinka addr add 10.99.1.1/24 dev va
ip -n kinkb addr add 10.99.1.2/24 dev vb
ip -n kinka addr add fd00:99::1/64 dev va nodad
ip -n kinkb addr add fd00:99::2/64 dev vb nodad
ip -n kinka link set va up
ip -n kinkb link set vb up

key() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
A() { "$tool" --netns /run/netns/kinka "$@"; }
B() { "$tool" --netns /run/netns/kinkb "$@"; }

# install FAMILY A_ADDR B_ADDR SPI_BASE: a pair of SAs and in/out policies on
# both sides, AEAD one way and cbc(aes)+hmac(sha256) the other.
install() {
  local a=$2 b=$3 base=$4
  local k1 k2 k3
  k1=$(key 20); k2=$(key 16); k3=$(key 32)
  for side in A B; do
    $side sa-add --src "$a" --dst "$b" --spi $((base + 1)) --reqid 101 --aead-key "$k1"
    $side sa-add --src "$b" --dst "$a" --spi $((base + 2)) --reqid 102 \
      --enc-key "$k2" --auth sha256 --auth-key "$k3"
  done
  A policy-add --src "$a" --dst "$b" --dir out --reqid 101
  A policy-add --src "$b" --dst "$a" --dir in --reqid 102
  B policy-add --src "$b" --dst "$a" --dir out --reqid 102
  B policy-add --src "$a" --dst "$b" --dir in --reqid 101
}

traffic() {  # traffic FROM_NS FROM_ADDR TO_NS TO_ADDR LABEL (capture on va)
  local from_ns=$1 a=$2 to_ns=$3 b=$4 label=$5
  ip netns exec kinka tcpdump -n -i va -U -w "$work/$label.pcap" 2>"$work/$label.tcpdump" &
  pids+=($!)
  sleep 2
  ip netns exec "$to_ns" timeout 20 nc -u -l -W 1 "$b" 5000 >"$work/$label.recv" &
  local listener=$!
  sleep 1
  for i in 1 2 3 4 5; do
    echo "kink-$label-payload-$i" | ip netns exec "$from_ns" nc -u -w 1 -s "$a" "$b" 5000 || true
    grep -q "kink-$label-payload" "$work/$label.recv" && break
  done
  wait "$listener" || true
  sleep 1
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  grep -q "kink-$label-payload" "$work/$label.recv" || fail "$label: UDP payload not received"
  echo "$label: UDP payload received"
  tcpdump -n -r "$work/$label.pcap" 2>/dev/null >"$work/$label.txt"
  local total esp
  total=$(grep -c . "$work/$label.txt" || true)
  esp=$(grep -c "ESP(spi=" "$work/$label.txt" || true)
  echo "$label: captured $total packets on the veth, $esp of them ESP:"
  sed 's/^/  /' "$work/$label.txt"
  # Only ESP may carry IP payload; ARP and IPv6 neighbour discovery are fine.
  grep -v "ESP(spi=" "$work/$label.txt" | grep -Ev "ARP|ICMP6" | grep -q . &&
    fail "$label: non-ESP IP traffic on the wire"
  [[ $esp -ge 1 ]] || fail "$label: no ESP on the wire"
  grep -q "kink-$label" "$work/$label.pcap" && fail "$label: plaintext payload on the wire"
  return 0
}

counters() {  # counters A_ADDR B_ADDR SPI_BASE LABEL
  local out in
  out=$(A sa-get --dst "$2" --spi $(($3 + 1)))
  in=$(B sa-get --dst "$2" --spi $(($3 + 1)))
  echo "$4 sender:   $out"
  echo "$4 receiver: $in"
  [[ $(awk '{for(i=1;i<NF;i++) if ($i=="packets") print $(i+1)}' <<<"$out") -ge 1 ]] ||
    fail "$4: sender SA counted no packets"
  [[ $(awk '{for(i=1;i<NF;i++) if ($i=="packets") print $(i+1)}' <<<"$in") -ge 1 ]] ||
    fail "$4: receiver SA counted no packets"
}

expiry() {  # expiry A_ADDR B_ADDR LABEL
  A wait-events --count 2 --timeout 20 >"$work/$3.events" 2>&1 &
  local waiter=$!
  for _ in $(seq 50); do grep -q listening "$work/$3.events" && break; sleep 0.1; done
  A sa-add --src "$1" --dst "$2" --spi 0x9001 --reqid 103 --aead-key "$(key 20)" \
    --soft-secs 1 --hard-secs 3
  wait "$waiter" || { cat "$work/$3.events"; fail "$3: expiry events missing"; }
  cat "$work/$3.events"
  grep -q "^soft expire esp spi 0x00009001" "$work/$3.events" || fail "$3: no soft expire"
  grep -q "^hard expire esp spi 0x00009001" "$work/$3.events" || fail "$3: no hard expire"
  A sa-get --dst "$2" --spi 0x9001 2>/dev/null && fail "$3: SA still there after hard expiry"
  return 0
}

no_trace() {
  A remove-owned
  B remove-owned
  for ns in kinka kinkb; do
    [[ -z "$(ip -n $ns xfrm state)" ]] || fail "SAs left in $ns"
    [[ -z "$(ip -n $ns xfrm policy)" ]] || fail "policies left in $ns"
  done
  echo "removal left no SA and no policy"
}

step "IPv4: install"
install 4 10.99.1.1 10.99.1.2 0x1000
A list
step "IPv4: traffic"
traffic kinka 10.99.1.1 kinkb 10.99.1.2 v4
traffic kinkb 10.99.1.2 kinka 10.99.1.1 v4back
counters 10.99.1.1 10.99.1.2 0x1000 v4
step "IPv4: expiry"
expiry 10.99.1.1 10.99.1.2 v4
step "IPv4: removal"
no_trace

step "IPv6: install"
install 6 fd00:99::1 fd00:99::2 0x2000
step "IPv6: traffic"
traffic kinka fd00:99::1 kinkb fd00:99::2 v6
traffic kinkb fd00:99::2 kinka fd00:99::1 v6back
counters fd00:99::1 fd00:99::2 0x2000 v6
step "IPv6: expiry"
expiry fd00:99::1 fd00:99::2 v6
step "IPv6: removal"
no_trace
step "all ESP scenarios passed"
