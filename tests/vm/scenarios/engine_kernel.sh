#!/bin/bash
# VM scenario: two KINK engines (one process, real Kerberos from a private
# KDC) drive the real kernel in two namespaces joined by veth, with a subnet
# behind each: ESP transport between the hosts, an AH+ESP tunnel between the
# subnets (to B itself and, through B's fwd policy, to host C behind it),
# pings through both, nothing left after shutdown.
# $1: engine_kernel_test (absolute path).
set -euo pipefail
start=$(cut -d' ' -f1 /proc/uptime)
cleanup() {
  ip netns del kinka 2>/dev/null || true
  ip netns del kinkb 2>/dev/null || true
  ip netns del kinkc 2>/dev/null || true
}
trap cleanup EXIT
# Up front: on-demand loading under TCG stalls, and ESP needs drbg first.
modprobe -a esp4 ah4 xfrm4_tunnel tunnel4 xfrm_user authenc echainiv seqiv \
  gcm ghash-generic cbc aes_generic sha1 sha256 sha512 hmac drbg veth dummy \
  2>/dev/null || true
echo "scenario: modules loaded in $(awk -v s="$start" '{print $1 - s}' /proc/uptime)s"
# The KDC listens on 127.0.0.1 in the guest's own namespace, whose lo starts down.
ip link set lo up
mkdir -p /run/netns
ip netns add kinka
ip netns add kinkb
ip link add va netns kinka type veth peer name vb netns kinkb
for ns in kinka kinkb; do
  ip -n $ns link set lo up
  ip -n $ns link add sub type dummy
  ip -n $ns link set sub up
done
ip -n kinka addr add 192.0.2.1/24 dev va
ip -n kinkb addr add 192.0.2.2/24 dev vb
ip -n kinka link set va up
ip -n kinkb link set vb up
ip -n kinka addr add 10.1.0.1/16 dev sub
ip -n kinkb addr add 10.2.0.1/32 dev sub
# Host C (10.2.0.2) in B's subnet, reached through B: forwarded traffic.
ip netns add kinkc
ip link add sb netns kinkb type veth peer name sc netns kinkc
ip -n kinkc link set lo up
ip -n kinkb addr add 10.2.0.254/16 dev sb
ip -n kinkc addr add 10.2.0.2/16 dev sc
ip -n kinkb link set sb up
ip -n kinkc link set sc up
ip -n kinkc route add default via 10.2.0.254
ip netns exec kinkb sysctl -qw net.ipv4.ip_forward=1
ip -n kinka route add 10.2.0.0/16 via 192.0.2.2
ip -n kinkb route add 10.1.0.0/16 via 192.0.2.1
t0=$(cut -d' ' -f1 /proc/uptime)
"$1"
echo "scenario: engine_kernel_test took $(awk -v s="$t0" '{print $1 - s}' /proc/uptime)s"
