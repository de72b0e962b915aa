#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh base OUT
#	The guest's root: busybox-static, scripts/guest/init, the userspace
#	that build-user.sh built (ckpt, demo-counter) in /usr/bin and the
#	selftests in /selftests/checkpoint.
# mkinitramfs.sh job OUT SCRIPT [CMDFILE [ENVFILE]]
#	A small archive holding the job that init runs (SCRIPT as /job.sh),
#	for `make run` the command (CMDFILE as /job.cmd), and settings for
#	the job (ENVFILE as /job.env, sourced by it).  The kernel
#	unpacks concatenated archives in order, so base + job is one initrd.
#
# Both are cpio newc, gzip'd, made with the tree's usr/gen_init_cpio: no
# root or mknod needed for /dev/console.

. "$(dirname "$0")/lib.sh"

kind=${1:?usage: mkinitramfs.sh base|job OUT ...}
out=${2:?usage: mkinitramfs.sh base|job OUT ...}
USER_OUT=$WORK/user
BUSYBOX=${BUSYBOX:-/bin/busybox}

gen_init_cpio() {
	local bin=$WORK/gen_init_cpio

	if [ ! -x "$bin" ] || [ "$SRC/usr/gen_init_cpio.c" -nt "$bin" ]; then
		gcc -O2 -o "$bin" "$SRC/usr/gen_init_cpio.c"
	fi
	"$bin" "$@"
}

# Emit gen_init_cpio lines for the files under host directory $1, put
# under guest directory $2.
tree_lines() {
	local from=$1 to=$2 f mode

	(cd "$from" && find . -mindepth 1 -type d | sort) | while read -r f; do
		echo "dir $to/${f#./} 0755 0 0"
	done
	(cd "$from" && find . -type f | sort) | while read -r f; do
		mode=$(stat -c %a "$from/$f")
		echo "file $to/${f#./} $from/${f#./} $mode 0 0"
	done
}

base_list() {
	local d a

	for d in /dev /proc /sys /tmp /root /etc /mnt /mnt/share /bin /sbin \
		/usr /usr/bin /usr/sbin /selftests /selftests/checkpoint; do
		echo "dir $d 0755 0 0"
	done
	# The kernel opens /dev/console before init can mount devtmpfs.
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /bin/busybox $BUSYBOX 0755 0 0"
	"$BUSYBOX" --list-full | while read -r a; do
		[ "$a" = bin/busybox ] || echo "slink /$a /bin/busybox 0777 0 0"
	done
	echo "file /init $TOP/scripts/guest/init 0755 0 0"
	echo "file /etc/ckpt-guest.sh $TOP/scripts/guest/lib.sh 0644 0 0"
	echo "file /etc/passwd $TOP/scripts/guest/passwd 0644 0 0"
	echo "file /etc/group $TOP/scripts/guest/group 0644 0 0"
	[ -d "$USER_OUT/bin" ] && tree_lines "$USER_OUT/bin" /usr/bin
	[ -d "$USER_OUT/selftests" ] && tree_lines "$USER_OUT/selftests" /selftests
	return 0
}

case $kind in
base)
	! readelf -l "$BUSYBOX" | grep -q INTERP ||
		die "$BUSYBOX is not static: install busybox-static"
	base_list >"$out.list.$$"
	;;
job)
	script=${3:?job script missing}
	{
		echo "file /job.sh $script 0755 0 0"
		[ -z "${4:-}" ] || echo "file /job.cmd $4 0644 0 0"
		[ -z "${5:-}" ] || echo "file /job.env $5 0644 0 0"
	} >"$out.list.$$"
	;;
*)
	die "unknown kind '$kind'"
	;;
esac

# A private temporary name: two makes may pack the same archive at once.
gen_init_cpio "$out.list.$$" | gzip -n -6 >"$out.tmp.$$"
mv -f "$out.tmp.$$" "$out"
mv -f "$out.list.$$" "$out.list"
