#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Debian's Podman (with runc and conmon) checkpoints and restores a
# container through our CRIU front end, `ckpt criu`, found as "criu" in
# PATH.  The image is loaded from a local archive (no registry: the guest
# has no network).  A busybox container prints 1, 2, 3... on its
# standard output, which conmon keeps as the container's log: across
# `podman container checkpoint` / `restore`, and across `--export` /
# `--import` into a fresh storage and state directory, the log must go
# on without a number lost or repeated.
#
# Skips when podman is not installed (make check copies Debian's into the
# guest).  Prints TAP.

KSFT_SKIP=4
LOOP='i=0; while true; do i=$((i + 1)); echo $i; sleep 0.2; done'
n=0
fails=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $*"; }
diag() { sed -e 's/^/# /' "$@"; }

echo "TAP version 13"
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
	echo "1..0 # SKIP podman or runc is not installed"
	exit $KSFT_SKIP
fi
CKPT=$(command -v ckpt || echo /usr/bin/ckpt)
T=$(mktemp -d /tmp/ckpt-podman.XXXXXX) || exit 1
mkdir -p "$T/bin" /run /var/tmp
ln -s "$CKPT" "$T/bin/criu"
export PATH="$T/bin:$PATH" HOME=${HOME:-/root} TMPDIR=$T
grep -q "^cgroup2 /sys/fs/cgroup " /proc/mounts ||
	mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 1

# No systemd, no network, no overlayfs in the guest
cat > "$T/containers.conf" <<EOF
[containers]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
export CONTAINERS_CONF=$T/containers.conf

# Storage and state of our own
cat > "$T/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$T/a/run"
graphroot = "$T/a/storage"
EOF
export CONTAINERS_STORAGE_CONF=$T/storage.conf

cleanup() {
	exec 2>/dev/null
	podman rm -f -a >/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# run WHAT CMD...: ok if CMD succeeds, else its output as diagnostics
run() {
	what=$1
	shift
	if "$@" > "$T/cmd.out" 2>&1; then
		ok "$what"
		return 0
	fi
	not_ok "$what"
	diag "$T/cmd.out"
	for f in $(find "$T" -name dump.log -o -name restore.log 2>/dev/null); do
		echo "--- $f"
		tail -n 20 "$f"
	done | diag
	return 1
}

numbers() { podman logs c1 2>/dev/null | grep '^[0-9][0-9]*$'; }
last() { numbers | tail -n 1; }
running() { [ "$(podman inspect -f '{{.State.Status}}' c1 2>/dev/null)" = running ]; }

# wait_past N: until the container has printed more than N (60 s at most)
wait_past() {
	i=0
	while [ "$(last)" -le "$1" ] 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ "$(last)" -gt "$1" ] 2>/dev/null
}

# consecutive FIRST: the log goes FIRST, FIRST+1, ... with nothing lost or repeated
consecutive() {
	numbers | awk -v first="$1" '
		NR == 1 && $1 != first { bad = 1 }
		NR > 1 && $1 != prev + 1 { bad = 1 }
		{ prev = $1 }
		END { exit bad || NR == 0 }'
}

# --- an image from a local archive -------------------------------------
mkdir -p "$T/rootfs/bin"
cp /bin/busybox "$T/rootfs/bin/"
for a in sh sleep cat echo; do ln -s busybox "$T/rootfs/bin/$a"; done
tar -C "$T/rootfs" -cf "$T/rootfs.tar" . &&
	run "podman import of a busybox archive" \
		podman import "$T/rootfs.tar" localhost/ckpt-busybox:latest &&
	run "podman save of the image to an archive" \
		podman save --format oci-archive -o "$T/image.tar" localhost/ckpt-busybox:latest

# --- checkpoint and restore in place -------------------------------------
run "podman run -d" podman run -d --name c1 localhost/ckpt-busybox sh -c "$LOOP"
if wait_past 3; then ok "the container counts"; else not_ok "the container counts"; fi

if run "podman container checkpoint" podman container checkpoint c1; then
	l1=$(last)
	sleep 1
	if ! running && [ -n "$l1" ] && [ "$(last)" = "$l1" ]; then
		ok "the container is stopped after the checkpoint, at $l1"
	else
		not_ok "the container is stopped after the checkpoint (at '$l1', now '$(last)')"
	fi
	run "podman container restore" podman container restore c1
	if running && wait_past $((l1 + 3)); then
		ok "the restored container runs and counts past $((l1 + 3))"
	else
		not_ok "the restored container runs and counts past $((l1 + 3))"
	fi
	if consecutive 1; then
		ok "its log goes on from $l1 with no number lost or repeated"
	else
		not_ok "its log goes on from $l1 with no number lost or repeated"
		numbers | tr '\n' ' ' | diag
	fi
fi

# --- --export, then --import into a fresh storage and state ---------------
if run "podman container checkpoint --export" \
	podman container checkpoint --export "$T/c1.tar.gz" c1; then
	l2=$(last)
	# As on another machine: nothing left of the container, its image and
	# its state (the paths are the same: Podman 4.3 keeps its state
	# directory's path in the exported configuration)
	podman rm -f c1 >/dev/null 2>&1
	podman system reset --force >/dev/null 2>&1
	rm -rf "$T/a"
	run "podman load of the image archive into a fresh storage" \
		podman load -i "$T/image.tar"
	run "podman container restore --import into it" \
		podman container restore --import "$T/c1.tar.gz"
	if running && wait_past 3; then
		ok "the imported container runs"
	else
		not_ok "the imported container runs"
	fi
	# Its log holds what it printed since the import, or all of it
	first=$(numbers | head -n 1)
	if { [ "$first" = 1 ] || [ "$first" = $((l2 + 1)) ]; } &&
		consecutive "$first" && [ "$(last)" -gt $((l2 + 1)) ]; then
		ok "it goes on from $((l2 + 1)) with no number lost or repeated"
	else
		not_ok "it goes on from $((l2 + 1)) with no number lost or repeated"
		numbers | tr '\n' ' ' | diag
	fi
fi

echo "1..$n"
[ "$fails" = 0 ]
