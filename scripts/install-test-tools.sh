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
else
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "test tools: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Terraform is not a Debian package: the plan tests need it on PATH (or
# TERRAFORM=/path/to/terraform). They fail, and say so, without it.
if ! command -v "${TERRAFORM:-terraform}" >/dev/null; then
  echo "test tools: terraform (1.11 or later) is missing; install it from HashiCorp's release archive or apt repository, or set TERRAFORM=/path/to/terraform" >&2
  exit 1
fi
echo "test tools: $("${TERRAFORM:-terraform}" version 2>/dev/null | head -n 1)"
