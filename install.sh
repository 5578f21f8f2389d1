#!/usr/bin/env bash
# Installs what LightNFV needs on a fresh Debian 12 machine (run as root), then restores and builds everything.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

packages=(
  iproute2 iputils-ping procps   # netns, links, ping, ps
  nftables                       # VNF service addresses (DNAT inside the lab namespace only)
  python3                        # test.sh reads the test results (TRX) to count and list skips
  iperf3                         # the benchmark's VNF and load generator
  gcc libc6-dev                  # builds the lnfv-spawn helper (static) and the unikernel guest (freestanding)
  libseccomp-dev                 # lnfv-spawn's seccomp filter for process VNFs (the containers' profile, via libseccomp)
  busybox-static                 # tcp-echo built-in VNF
  crun runc                      # OCI runtimes for the container backend
  docker.io                      # dockerd, for the docker backend (LightNFV starts a private one when none runs)
  qemu-system-x86 qemu-utils     # the VMM of the tinyx and standardvm backends
  linux-source-6.1               # the tinyx guest kernel is built from it on first use (cached in /var/cache/lightnfv)
  build-essential bc flex bison libelf-dev libssl-dev binutils  # ... with these
  linux-image-cloud-amd64        # the standardvm kernel + initrd (and the tinyx fallback)
  debootstrap e2fsprogs          # the standardvm Debian disk (built on first use, cached)
  chromium fonts-dejavu-core     # the web console's browser tests (Playwright drives this chromium; no browser is downloaded)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# iperf3's Debian package may ask to start a daemon; LightNFV never uses it.
systemctl disable --now iperf3 >/dev/null 2>&1 || true

if ! command -v dotnet >/dev/null; then
  echo "install.sh: the .NET 10 SDK is required (dotnet not on PATH)" >&2
  exit 1
fi
dotnet build "$root/LightNfv.slnx" -c Release -nologo -v quiet -tl:off -clp:"ErrorsOnly;NoSummary"
echo "install.sh: ready. Try: ./lightnfv probe" >&2
