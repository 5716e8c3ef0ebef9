#!/bin/sh
# VM scenario: the XFRM install/delete benchmark (agent/xfrm vs ip -batch).
# $1: the xfrm_bench binary. KINK_XFRM_BENCH_MAX (default 10000) is the
# largest number of SA pairs.
set -e
modprobe -a esp4 esp6 xfrm_user authenc echainiv seqiv gcm ghash-generic cbc \
  aes_generic sha256 hmac drbg 2>/dev/null || true
mkdir -p /run/netns
KINK_XFRM_BENCH_MAX=${KINK_XFRM_BENCH_MAX:-10000} "$1" --benchmark_counters_tabular=true
