#!/usr/bin/env bash
# Install the Debian tools the test suite runs the generated output through.
# Idempotent: installs only what is missing. Uses sudo when not root.
set -euo pipefail

# mmdebstrap, systemd-container (systemd-nspawn) and iproute2: the systemd boot
# tests (scripts/build-rootfs.sh builds their Debian rootfs, once).
PKGS=(shellcheck shfmt packer yamllint systemd jq git util-linux bsdutils passwd strace mmdebstrap systemd-container iproute2)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test tools: all present (${PKGS[*]})"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "test tools: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
