#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make bench` (bench/run.sh boots it as the job): install
# CRIU from the shared directory, check it, then measure the hardware
# limit and every workload row with benchd.  Everything measured goes to
# /mnt/share/out/raw.jsonl, one JSON object a line; the host makes the
# report from it.
#
# /job.env (from run.sh): BENCH_QUICK=0|1, BENCH_RUNS=N, BENCH_PROFILE=0|1,
# BENCH_ROWS="..." (only these rows: row names, hw-MIB, prof-NAME),
# BENCH_PREFORK="MIB N" (the prefork row's size instead of 256 MiB and 50
# children).

[ -f /job.env ] && . /job.env
S=/mnt/share
O=$S/out
RUNS=${BENCH_RUNS:-5}
QUICK=${BENCH_QUICK:-0}

# Progress goes to the console and to $O/progress.log, which the host
# shows as it grows (the console reaches the host in large blocks).
say() {
	echo "$*" | tee -a $O/progress.log
}

fail() {
	say "bench: $*"
	exit 1
}

grep -q " $S " /proc/mounts || fail "no shared directory at $S"
mkdir -p $O || { echo "bench: cannot write to $S"; exit 1; }
rm -f $O/raw.jsonl $O/runc.jsonl $O/runc-* $O/criu-check.txt $O/env.txt $O/progress.log

# CRIU and runc (and what CRIU runs for a container: ip, GNU tar,
# iptables-restore) with their libraries at the paths they have on the
# host, so that the dynamic loader finds them as it would there; our
# programs in rootfs, so that /proc/PID/exe of a workload is on a local
# file system.
cp -a $S/sysroot/. / || fail "cannot install CRIU into the guest"
cp $S/bin/wl $S/bin/benchd /usr/bin/ || fail "cannot install the workloads"
export BENCH_WL=/usr/bin/wl BENCH_CRIU=/usr/sbin/criu BENCH_TMP=/tmp/bench
export BENCH_OUT=$O/raw.jsonl

rm -f $O/profile.jsonl $O/perf-*.txt
PERF=
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
	if cp -a $S/perfroot/. / 2>/dev/null && perf --version >/dev/null 2>&1; then
		PERF=$(perf --version)
	else
		say "bench: perf does not run in this guest: no profiles"
	fi
fi

ip link set lo up
# Where CRIU caches what it found out about the kernel (/run/criu.kdat),
# as on any system: without it every criu run probes the kernel again.
mkdir -p /run && mount -t tmpfs tmpfs /run
say "bench: criu check"
criu check >$O/criu-check.txt 2>&1
tee -a $O/progress.log <$O/criu-check.txt
grep -q "Looks good." $O/criu-check.txt || fail "criu check does not say \"Looks good.\""

# 100,000 VMAs and fds: the default limits are 65530 mappings and 1024
# descriptors (benchd raises its own RLIMIT_NOFILE, the workloads theirs).
echo 262144 >/proc/sys/vm/max_map_count
echo $((1 << 20)) >/proc/sys/fs/nr_open

{
	echo "kernel=$(uname -r)"
	echo "uname=$(uname -a)"
	echo "criu=$(criu --version | head -n 1)"
	echo "runc=$(runc --version 2>/dev/null | head -n 1)"
	echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "memtotal_kib=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
	echo "thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled)"
	echo "perf=$PERF"
	echo "quick=$QUICK"
	echo "runs=$RUNS"
} >$O/env.txt
tee -a $O/progress.log <$O/env.txt

T0=$(cut -d. -f1 /proc/uptime)

# Is this row (hw-MIB, prof-NAME, or a row name) to be run?
wanted() {
	[ -z "$BENCH_ROWS" ] && return 0
	case " $BENCH_ROWS " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# row NAME RUNS [benchd options] -- wl arguments
row() {
	name=$1
	runs=$2
	shift 2
	wanted "$name" || return 0
	say "bench: row $name, $runs run(s) ($(($(cut -d. -f1 /proc/uptime) - T0)) s)"
	{
		benchd row "$name" "$runs" "$@"
		rc=$?
		[ $rc = 0 ] || echo "bench: row $name: benchd exited with status $rc"
	} 2>&1 | tee -a $O/progress.log
	# Whatever a failed row left behind
	for p in $(pidof wl); do kill -9 "$p"; done 2>/dev/null
	rm -rf /tmp/bench/* /tmp/fds-*
}

# The shared directory mounted again with other 9p options ($1), or with
# those of scripts/guest/init.  Nothing may have a file open in it (what
# umount and mount say goes to /tmp first).
share_mount() {
	sync
	if ! umount $S >/tmp/share-mount.out 2>&1; then
		tee -a $O/progress.log </tmp/share-mount.out
		return 1
	fi
	if ! mount -t 9p -o trans=virtio,version=9p2000.L,${1:-msize=262144} share $S \
		>/tmp/share-mount.out 2>&1 &&
	   ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 share $S \
		>>/tmp/share-mount.out 2>&1; then
		cat /tmp/share-mount.out
		echo "bench: lost the shared directory"
		exit 1
	fi
	cat /tmp/share-mount.out >>$O/progress.log
	say "bench: $(grep " $S " /proc/mounts)"
}

# prefork RUNS CRIU-RUNS MIB N: a process with MIB MiB of random data and N
# children that read it, sharing it copy-on-write.  Our image should hold
# the MIB once; CRIU's holds every process's copy, (N+1) x MIB, which for
# 256 MiB and 50 children (12.75 GiB) does not fit in the guest's memory:
# when it does not fit in /tmp (a tmpfs of half the memory), CRIU's images
# go to the shared directory (9p, the host's disk) and its dump and
# restore times are those of 9p.  For that row the shared directory is
# mounted with a page cache (cache=mmap) and the largest message virtio
# takes: the mount of scripts/guest/init writes ~10 MB/s under TCG, this
# one ~100 MB/s (and reads ~190 MB/s).  Ours stays in /tmp.
prefork() {
	wanted prefork || return 0
	runs=$1
	criu_runs=$2
	shift 2
	set -- ${BENCH_PREFORK:-$1 $2}
	criu_dir=
	remount=
	tmp_kib=$(df -k /tmp | awk 'NR == 2 { print $4 }')
	if [ $((($2 + 1) * $1 * 1024 + 65536)) -gt "${tmp_kib:-0}" ]; then
		criu_dir="--criu-dir $S/criu-prefork"
		rm -rf $S/criu-prefork
		if share_mount msize=512000,cache=mmap; then
			remount=1
		else
			say "bench: cannot mount $S again: CRIU's images go through the slow mount"
		fi
	fi
	row prefork "$runs" --no-sample --tree-mem --criu-runs "$criu_runs" $criu_dir -- \
		prefork "$1" "$2"
	rm -rf $S/criu-prefork
	[ -n "$remount" ] && share_mount
	return 0
}

hw() {
	wanted "hw-$1" || return 0
	say "bench: hardware limit, $1 MiB, $2 run(s) ($(($(cut -d. -f1 /proc/uptime) - T0)) s)"
	benchd hw "$1" "$2" 2>&1 | tee -a $O/progress.log
	rm -rf /tmp/bench/*
}

# Fewer runs where one costs minutes
R=$RUNS
R3=$((RUNS < 3 ? RUNS : 3))
R1=1

if [ "$QUICK" = 1 ]; then
	hw 64 1
	row trivial 1 -- trivial
	row mem-64m 1 -- mem 64 1000
	row lazy-64m 1 --lazy -- mem 64 1000
	row sparse-64m 1 -- mem 64 10
	row fds-1k 1 -- fds 1000 /tmp/fds-1k
	row vmas-1k 1 -- vmas 1000
	row tree-10 1 -- tree 10
	row threads-100 1 -- threads 100
	row unix-1k 1 -- unixpairs 1000
	row tcp-1k 1 --tcp -- tcppairs 1000
	row tcp-100 1 --tcp -- tcppairs 100
	prefork 1 1 256 50
else
	hw 64 $R3
	hw 256 $R3
	hw 1024 $R
	# The rows of the main table
	row trivial $R -- trivial
	row mem-1g $R -- mem 1024 1000
	# Lazy restart (post-copy) of the same: ours only
	row lazy-1g $R --lazy -- mem 1024 1000
	row sparse-1g $R -- mem 1024 10
	row tree-100 $R -- tree 100
	row threads-1000 $R -- threads 1000
	row fds-10k $R -- fds 10000 /tmp/fds-10k
	row vmas-10k $R -- vmas 10000
	row unix-1k $R -- unixpairs 1000
	# CRIU 3.17 aborts past 1024 descriptors with connections (an
	# fd_set): tcp-100 is the row it can do
	row tcp-1k $R --tcp -- tcppairs 1000
	row tcp-100 $R --tcp -- tcppairs 100
	# Scaling: the same at other sizes
	row mem-64m $R -- mem 64 1000
	row lazy-64m $R --lazy -- mem 64 1000
	row mem-256m $R -- mem 256 1000
	# A 2 GiB process and its 2 GiB image do not both fit in 4 GiB
	row mem-2g $R3 --no-tmpfs -- mem 2048 1000
	row fds-1k $R -- fds 1000 /tmp/fds-1k
	row fds-100k $R3 -- fds 100000 /tmp/fds-100k
	row vmas-1k $R -- vmas 1000
	row vmas-100k $R3 -- vmas 100000
	row tree-10 $R -- tree 10
	row tree-1000 $R1 -- tree 1000
	row threads-100 $R -- threads 100
	# Minutes per run (see bench/README.md): one, and no memory round
	row threads-10000 $R1 --no-sample -- threads 10000
	# Pages shared copy-on-write after fork, 51 processes; CRIU's 12.75
	# GiB of images (on 9p) take minutes a round: one
	prefork $R3 $R1 256 50
fi
# runc checkpoint and restore of a container, through our front end and
# through CRIU (bench/runc.sh); into $O/runc.jsonl
if wanted runc; then
	say "bench: row runc, $R3 run(s) ($(($(cut -d. -f1 /proc/uptime) - T0)) s)"
	O=$O sh $S/bin/runc.sh $R3
fi

# Profiles: the whole guest sampled (cpu-clock, ~1 kHz per CPU, on
# CLOCK_MONOTONIC so that samples can be matched to benchd's operations)
# while benchd runs one round of a row; the host symbolises the kernel's
# addresses with System.map (the guest kernel has no kallsyms).
prof() {
	name=$1
	shift
	wanted "prof-$name" || return 0
	say "bench: profile $name ($(($(cut -d. -f1 /proc/uptime) - T0)) s)"
	# -a with a command: every CPU, until the command exits
	BENCH_OUT=$O/profile.jsonl perf record -q -a -e cpu-clock -F 997 -k mono \
		-o /tmp/perf.data -- benchd row "prof-$name" 1 --no-sample -- "$@" \
		>/tmp/prof.out 2>&1
	# (perf's complaints about the missing kallsyms left out)
	grep -v -e kallsyms -e "reference relocation" -e "Symbol resolution" /tmp/prof.out |
		tee -a $O/progress.log
	perf script -i /tmp/perf.data -F comm,tid,time,ip >$O/perf-$name.txt 2>/dev/null
	rm -f /tmp/perf.data
	rm -rf /tmp/bench/* /tmp/fds-*
}

if [ -n "$PERF" ]; then
	prof mem-256m mem 256 1000
	prof threads-2000 threads 2000
	prof vmas-10k vmas 10000
fi

say "bench: guest done in $(($(cut -d. -f1 /proc/uptime) - T0)) s"
