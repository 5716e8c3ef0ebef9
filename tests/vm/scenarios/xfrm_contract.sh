#!/bin/sh
# VM scenario: the XFRM backend contract suite against a kernel with ESP,
# where no SA test may skip. $1: the test binary (absolute path).
set -e
start=$(cut -d' ' -f1 /proc/uptime)
# Load up front: on-demand loading under TCG stalls for seconds, and ESP
# needs drbg before its first SA.
modprobe -a esp4 esp6 xfrm_user authenc echainiv seqiv gcm ghash-generic cbc \
  aes_generic sha1 sha256 sha512 hmac drbg veth 2>/dev/null || true
echo "scenario: modules loaded in $(awk -v s="$start" '{print $1 - s}' /proc/uptime)s"
mkdir -p /run/netns
KINK_XFRM_REQUIRE_ESP=1 "$1"
