#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests, the demo and the VM
# tests need. Idempotent: safe to run again; does nothing new when all is there.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "setup.sh: run as root (it installs Debian packages)" >&2
  exit 1
fi

packages=(
  # build
  bazel-bootstrap g++ clang-14 libclang-rt-14-dev lld-14 clang-format pkg-config
  # RPC
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # Kerberos (library, and the KDC/admin tools the tests and demo start)
  libkrb5-dev krb5-kdc krb5-admin-server krb5-user
  # crypto beyond krb5 (RFC 3961 PRF, PFS groups)
  libssl-dev
  # kernel interface
  libnl-3-dev libnl-xfrm-3-dev libnl-route-3-dev iproute2
  # base libraries
  libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  # storage
  libsqlite3-dev etcd-server etcd-client
  # CLI, config, logging, metrics
  libcli11-dev libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev prometheus-cpp-dev
  # VM tests (real ESP in Debian's kernel)
  qemu-system-x86 linux-image-amd64 busybox-static cpio
  # wire checks and test traffic
  tshark tcpdump iputils-ping netcat-openbsd python3
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup.sh: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup.sh: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, quietly.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
# The KDC packages want a default realm; our tests and demo bring their own.
echo "krb5-config krb5-config/default_realm string KINK.TEST" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup.sh: done"
