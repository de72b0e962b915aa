# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Common settings of the build scripts.  The Makefile exports the same
# variables, so a script run by hand behaves as it does under make.
#
#   KDIR   a Linux 6.12 tree to use instead of Debian's linux-source-6.12;
#          our files are copied into it and patches/ is applied to it
#   JOBS   parallel kernel build jobs (default: nproc)
#   V=1    show commands and full guest consoles

set -euo pipefail

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$TOP/build}
DEB_TARBALL=${DEB_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
DEB_PACKAGE=linux-source-6.12

if [ -n "${KDIR:-}" ]; then
	SRC=$(cd "$KDIR" && pwd)
	# One work directory per user tree: its object dirs and sync state
	# must not mix with those of another tree.
	WORK=$BUILD/kdir-$(printf %s "$SRC" | md5sum | cut -c1-8)
else
	SRC=$BUILD/$DEB_PACKAGE
	WORK=$BUILD
fi
JOBS=${JOBS:-$(nproc)}
V=${V:-0}
# Every script writes logs or state there, from a fresh clone on.
mkdir -p "$WORK"

# Files of ours that are copied into the kernel tree.  Anything else we
# change in it goes through patches/.
OVERLAY_PATHS=(
	kernel/checkpoint
	'include/linux/checkpoint*.h'
	include/uapi/linux/checkpoint.h
	'mm/checkpoint*.[ch]'
	'fs/checkpoint*.[ch]'
	'net/checkpoint*.[ch]'
	'net/unix/checkpoint.c'
	'net/core/checkpoint.c'
	'ipc/checkpoint*'
	'kernel/cgroup/checkpoint.c'
	arch/x86/checkpoint
	Documentation/checkpoint
	tools/testing/selftests/checkpoint
	tools/checkpoint
)

# Our files in this repository (under the pathspecs given, default
# OVERLAY_PATHS): tracked and untracked-but-not-ignored ones as they are
# in the working tree.  Build outputs are not ours: ignored
# ones are left out by git, and executables built in place (selftests
# built without OUTPUT=) by their ELF magic.
list_overlay_files() {
	local paths=("$@")

	[ $# -gt 0 ] || paths=("${OVERLAY_PATHS[@]}")
	(
		cd "$TOP"
		if git rev-parse --git-dir >/dev/null 2>&1; then
			git ls-files -co --exclude-standard -- "${paths[@]}"
		else
			# shellcheck disable=SC2068 # the globs must expand
			find ${paths[@]} -type f 2>/dev/null
		fi
	) | while read -r f; do
		[ -f "$TOP/$f" ] || continue
		[ "$(head -c 4 "$TOP/$f" | tr -d '\177\000')" = ELF ] && continue
		echo "$f"
	done | sort -u
}

obj_dir() { echo "$WORK/obj-$1"; }

# Kernel messages in a guest's console carry a "[ seconds]" stamp
# (CONFIG_PRINTK_TIME); what the tests print does not.  A kernel line may
# have landed in the middle of a test's line, so look for the stamp
# anywhere.
KERNEL_STAMP='\[ *[0-9]+\.[0-9]+\] '
# How a kernel report starts: an oops, BUG or WARNING, KASAN, UBSAN,
# lockdep, RCU-lockdep, kmemleak, the hung task detector.  Not RCU
# stalls: under TCG a busy host starves the guest into them.
KERNEL_REPORTS='BUG:|WARNING:|Oops|general protection fault|Kernel panic|kernel BUG at'
KERNEL_REPORTS+='|KASAN|UBSAN|possible circular locking|inconsistent lock state'
KERNEL_REPORTS+='|DEBUG_LOCKS_WARN|possible recursive locking|suspicious RCU usage'
KERNEL_REPORTS+='|unreferenced object|blocked for more than [0-9]+ seconds'

# kernel_reports [GREP_OPTION...] CONSOLE_LOG...: the lines of the logs
# where a kernel report starts (grep's options: -n, -A 25, ...); status 0
# whether there were any or not.
kernel_reports() {
	grep -a -E "$KERNEL_STAMP.*($KERNEL_REPORTS)" "$@" || true
}

# lock NAME: hold $WORK/.lock-NAME until this script exits.  The team
# shares one build/, and two makes must not sync the tree, build one
# config or rewrite the series repository at the same time.
lock() {
	local fd

	exec {fd}>"$WORK/.lock-$1"
	if ! flock -n "$fd"; then
		msg WAIT "someone else holds the $1 lock ($WORK/.lock-$1)"
		flock "$fd"
	fi
}

msg() { printf '  %-8s %s\n' "$1" "$2" >&2; }

die() {
	echo "error: $*" >&2
	exit 1
}

# kernelversion of the source tree, e.g. 6.12.117
kernel_version() { make -s -C "$SRC" kernelversion 2>/dev/null; }

# Human-readable name of the base tree, for logs and the cover letter.
base_description() {
	local ver deb
	ver=$(kernel_version)
	if [ -z "${KDIR:-}" ]; then
		deb=$(dpkg-query -W -f '${Version}' "$DEB_PACKAGE" 2>/dev/null || echo unknown)
		echo "Linux $ver as shipped in Debian's $DEB_PACKAGE $deb"
	else
		echo "Linux $ver from a user-supplied tree"
	fi
}

# sysroot_add DIR FILE...: copy each dynamically linked program FILE, the
# libraries ldd lists for it and the dynamic loader into DIR at the paths
# they have here, so that the guest (whose initramfs has no libc) runs
# Debian's own build once DIR is copied over its root.
sysroot_add() {
	local dir=$1 f

	shift
	for f in "$@" $(for f in "$@"; do ldd "$f" 2>/dev/null; done |
			awk '/=> \// { print $3 } /^[[:space:]]+\// { print $1 }' | sort -u); do
		mkdir -p "$dir$(dirname "$f")"
		cp -L "$f" "$dir$f"
	done
}

# The tree a result comes from: its commit, "-dirty" when files other than
# the results themselves (bench/results/) differ from it.
tree_desc() {
	local c
	c=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null) || { echo '?'; return; }
	if [ -n "$(git -C "$TOP" status --porcelain --untracked-files=no -- . ':!bench/results' 2>/dev/null)" ]; then
		c+=-dirty
	fi
	echo "$c"
}
