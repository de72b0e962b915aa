#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages the build and the tests need, if any is
# missing.  A machine that has them all is not touched (no apt-get run).

set -euo pipefail

PACKAGES=(
	linux-source-6.12	# the kernel tree (/usr/src/linux-source-6.12.tar.xz)
	build-essential flex bison bc libelf-dev libssl-dev kmod dwarves
	xz-utils cpio gzip rsync git perl python3 patch diffutils
	qemu-system-x86		# the guest
	busybox-static		# the guest's userland
	sparse			# make C=1
	protobuf-c-compiler libprotobuf-c-dev	# ckpt criu: protoc-c, libprotobuf-c.a
	criu			# ckpt criu: CRIU's rpc.proto (/usr/include/criu); the bench
	runc podman		# the container managers the guest tests run
)

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "${status:0:2}" = ii ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "  DEPS     installing ${missing[*]}" >&2
sudo=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || {
		echo "error: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	}
	sudo="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
