#!/usr/bin/env bash
# Builds (once) the Debian rootfs tarball the systemd boot tests boot with
# systemd-nspawn, and prints its path. The cache key is the suite plus the
# package list, so changing either builds a new tarball.
#   scripts/build-rootfs.sh bookworm   # systemd 252 (the major version of Amazon Linux 2023)
#   scripts/build-rootfs.sh trixie     # systemd 257 (restart propagation as on Ubuntu 24.04's 255)
# Cache folder: $GITLAB_RUNNER_AWS_ROOTFS_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/gitlab-runner-aws.
set -euo pipefail

suite="${1:?usage: build-rootfs.sh SUITE (bookworm or trixie)}"
case "$suite" in
  bookworm | trixie) ;;
  *)
    echo "build-rootfs.sh: unsupported suite $suite (bookworm or trixie)" >&2
    exit 2
    ;;
esac
packages=systemd,systemd-sysv,dbus,jq,curl,iproute2,python3,iptables,ca-certificates,passwd
cache="${GITLAB_RUNNER_AWS_ROOTFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gitlab-runner-aws}"
key="$(printf '%s %s\n' "$suite" "$packages" | sha256sum | cut -c1-12)"
out="$cache/rootfs-$suite-$key.tar"
if [ -s "$out" ]; then
  printf '%s\n' "$out"
  exit 0
fi
command -v mmdebstrap >/dev/null || {
  echo "build-rootfs.sh: mmdebstrap is missing; install it with: apt-get update && apt-get install -y mmdebstrap" >&2
  exit 1
}
mkdir -p "$cache"
tmp="$cache/.rootfs-$suite-$key.$$.tar"
trap 'rm -f "$tmp"' EXIT
mmdebstrap --quiet --variant=minbase --include="$packages" "$suite" "$tmp" >&2
mv "$tmp" "$out"
trap - EXIT
printf '%s\n' "$out"
