#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/incr.sh: incremental checkpoints (checkpoint --track, then
# --incremental) of 1 GiB of random data of which 1% of the pages, one in
# 100, is rewritten between two images; issue 19's target: the
# incremental image is at most 2% of the complete one.  Also the chain's
# restart (ckpt restart --parent, ckpt merge) against a plain restart of
# a complete image of the same size, every byte checked after each, the
# same with huge pages, and CRIU's pre-dump --track-mem and dump
# --prev-images-dir of the same workload.  A boot of its own of the plain
# kernel (4 GiB, images on a tmpfs); bench/incr-guest.sh does the work.
# Writes bench/results/incr.md (BENCH_RESULTS=dir elsewhere); make bench
# runs it after bench/kexec.sh.  Environment: KVM=1, NO_BUILD=1,
# BENCH_INCR_CRIU=0 (no CRIU).

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

RESULTS=${BENCH_RESULTS:-$TOP/bench/results}
SHARE=$WORK/bench-incr
LOG=$WORK/bench-incr.log
CRIU=${BENCH_INCR_CRIU:-1}

if [ "${NO_BUILD:-0}" != 1 ]; then
	make -s -C "$TOP" --no-print-directory kernel CONFIG=plain initramfs
fi
rm -rf "$SHARE"
mkdir -p "$SHARE/bin" "$SHARE/out" "$RESULTS"
for prog in wl benchd; do
	gcc -static -O2 -Wall -Wextra -Wno-format-truncation -pthread \
		-o "$SHARE/bin/$prog" "$TOP/bench/src/$prog.c"
done
if [ "$CRIU" = 1 ] && command -v criu >/dev/null; then
	sysroot_add "$SHARE/sysroot" "$(command -v criu)"
fi
envfile=$SHARE/job.env
echo "BENCH_INCR_CRIU=$CRIU" >"$envfile"

uts=$(sed -n 's/^#define UTS_VERSION "\(.*\)"/\1/p' \
	"$(obj_dir plain)/include/generated/utsversion.h" 2>/dev/null || true)
t0=$(date +%s)
status=0
LOG=$LOG MEM=4G TIMEOUT=1800 SHOW=none SHARE=$SHARE APPEND=quiet JOB_ENV_FILE=$envfile \
	"$TOP/scripts/qemu-run.sh" plain "$TOP/bench/incr-guest.sh" >/dev/null 2>&1 || status=$?
OUT=$SHARE/out/incr.txt
touch "$OUT"

# field V STEP KEY: KEY (rc, size, or a key of ckpt's --stats JSON) of a
# "stats V STEP" line of the guest
field() {
	sed -n "s/^stats $1 $2\(.*[\" ]\)$3\"*[=:]\([0-9]*\).*/\2/p" "$OUT" | head -n 1
}

# line KIND V WHAT KEY: KEY=N of a "time" or "criu" line
line() {
	sed -n "s/^$1 $2 $3\(.* \)$4=\([0-9]*\).*/\2/p" "$OUT" | head -n 1
}

# Numbers as the tables show them; nothing for a figure not measured
mib() { [ -z "$1" ] || awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
ms() { [ -z "$1" ] || awk -v u="$1" 'BEGIN { printf "%.0f ms", u / 1000 }'; }
secs() { [ -z "$1" ] || awk -v u="$1" 'BEGIN { printf "%.2f s", u / 1e6 }'; }
ratio() {
	[ -z "$1" ] || [ -z "$2" ] || [ "$2" = 0 ] ||
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'
}
pct() {
	[ -z "$1" ] || [ -z "$2" ] || [ "$2" = 0 ] ||
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f%%", 100 * a / b }'
}

# in_parent V STEP: pages named in the parent image (PAGES_PARENT); ckpt
# does not give them: what the kernel scanned and did not write, share
# (COW) or skip
in_parent() {
	local n

	n=$(field "$1" "$2" pages_parent)
	if [ -z "$n" ] && [ -n "$(field "$1" "$2" pages_scanned)" ]; then
		n=$(($(field "$1" "$2" pages_scanned) - $(field "$1" "$2" pages_written) -
			$(field "$1" "$2" pages_cow) - $(field "$1" "$2" pages_skipped)))
	fi
	echo "$n"
}

# image V STEP WHAT: a row of the checkpoint table
image() {
	local size a

	size=$(field "$1" "$2" size)
	a=$(field "$1" A size)
	if [ "$(field "$1" "$2" rc)" != 0 ]; then
		echo "| $2 | $3 | failed | | | | | |"
		return 1
	fi
	echo "| $2 | $3 | $(mib "$size") | $(pct "$size" "$a") |" \
		"$(field "$1" "$2" pages_written) | $(in_parent "$1" "$2") |" \
		"$(ms "$(field "$1" "$2" frozen_us)") |" \
		"$(secs "$(field "$1" "$2" wall_us)") |"
}

# check V WHAT: the restored workload's own check of its memory
check() {
	local l

	l=$(grep -a "^check $1 $2 " "$OUT" | head -n 1 || true)
	if [ -z "$l" ]; then
		echo "not run"
	elif [ "${l#* rc=0 }" != "$l" ]; then
		echo "passed (${l#* check: })"
	else
		echo "FAILED (${l#* rc=})"
	fi
}

fails=0
b=$(field 4k B size)
a=$(field 4k A size)
verdict=$(awk -v a="${a:-0}" -v b="${b:-0}" 'BEGIN {
	if (!a || !b) print "not measured"; else if (b <= a / 50) print "met"; else print "missed" }')
{
	echo "# Incremental checkpoints (checkpoint --track, --incremental)"
	echo
	echo "bench/incr.sh: \`wl incr 1024 0\`, 1 GiB of private anonymous memory"
	echo "in 4 KiB pages (MADV_NOHUGEPAGE), every page written with random data;"
	echo "between two images one page in 100 is rewritten (1% of the pages,"
	echo "spread over all of it). A: \`ckpt checkpoint --track\`; B:"
	echo "\`--incremental --track\` after the first 1%; C: \`--incremental"
	echo "--kill\` after 1% more. Then \`ckpt restart --parent B --parent A C\`,"
	echo "\`ckpt merge -o M C B A\` and a plain \`ckpt restart M\` (a complete"
	echo "image of the same process, the same size as A); after each restart"
	echo "the workload checks every byte of its 1 GiB. Images on a tmpfs."
	echo
	echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); tree $(tree_desc)"
	echo "- Guest: QEMU $([ "${KVM:-0}" = 1 ] && echo KVM || echo TCG), 2 vCPUs, 4 GiB, plain kernel $(sed -n 's/^env kernel=\([^ ]*\).*/\1/p' "$OUT")"
	echo "  built from the working tree ($uts)"
	echo
	echo "**Target: B ≤ 2% of A. B/A = $(pct "$b" "$a"): $verdict.**"
	echo
	echo "| Image | How | Size | of A | Pages written | Pages in parent | Frozen | Checkpoint |"
	echo "|---|---|---|---|---|---|---|---|"
	image 4k A "\`--track\`, complete" || fails=1
	image 4k B "\`--incremental --track\`, 1% rewritten" || fails=1
	image 4k C "\`--incremental --kill\`, 1% more" || fails=1
	echo
	echo "Pages in parent: named by PAGES_PARENT records (scanned, less those"
	echo "written, shared or skipped). Frozen: the kernel's \"... us frozen\","
	echo "from the syscall's start until the tasks are let go or killed;"
	echo "Checkpoint: checkpoint(2)'s wall time; both \`ckpt checkpoint --stats\`."
	echo
	echo "| Restart | restart(2) | The command | Memory check |"
	echo "|---|---|---|---|"
	echo "| \`ckpt restart --parent B --parent A C\` (merged by reference) |" \
		"$(secs "$(field 4k chain wall_us)") | $(secs "$(line time 4k chain us)") | $(check 4k chain) |"
	echo "| \`ckpt merge -o M C B A\` | | $(secs "$(line time 4k merge us)") | |"
	echo "| \`ckpt restart M\`, a complete image ($(mib "$(field 4k M size)")) |" \
		"$(secs "$(field 4k full wall_us)") | $(secs "$(line time 4k full us)") | $(check 4k full) |"
	echo
	echo "restart(2): its wall time (\`ckpt restart --stats\`), until the process"
	echo "is back; with \`--parent\` ckpt merges the chain by reference into"
	echo "a small image whose PAGES_FILE records restart(2) reads from A, B"
	echo "and C. The command: from the shell, until ckpt had written its"
	echo "figures, so with what ckpt does before restart(2) (with"
	echo "\`--parent\`: opening and checking the parents, merging). The chain's restart"
	echo "took $(ratio "$(field 4k chain wall_us)" "$(field 4k full wall_us)") the plain one's in restart(2),"
	echo "$(ratio "$(line time 4k chain us)" "$(line time 4k full us)") as a command. Other work shares the host's two"
	echo "cores: one run's times can be twice another's (README, Caveats)."
	echo
	echo "## With huge pages"
	echo
	echo "The same 1 GiB with \`MADV_HUGEPAGE\` ($(sed -n 's/^env thp-anon-kib=\([0-9]*\).*/\1/p' "$OUT") KiB"
	echo "of AnonHugePages in the guest once written): soft-dirty bits are"
	echo "per PMD, so one 4 KiB write marks its whole 2 MiB, and one page in"
	echo "100 touches every huge page. A, then B with \`--incremental --kill\`,"
	echo "then \`ckpt restart --parent A B\`."
	echo
	echo "| Image | How | Size | of A | Pages written | Pages in parent | Frozen | Checkpoint |"
	echo "|---|---|---|---|---|---|---|---|"
	image thp A "\`--track\`, complete" || fails=1
	image thp B "\`--incremental --kill\`, 1% rewritten" || fails=1
	echo
	echo "Chain restart: $(secs "$(field thp chain wall_us)"), memory check $(check thp chain)."
	echo
	echo "## CRIU"
	echo
	if grep -q '^criu none' "$OUT"; then
		echo "Not measured: $(sed -n 's/^criu none: //p' "$OUT")."
	elif grep -q '^criu 4k' "$OUT"; then
		p1=$(line criu 4k p1 bytes)
		echo "$(sed -n 's/^env criu=Version: /CRIU /p' "$OUT"), the same 4 KiB workload: \`criu pre-dump"
		echo "--track-mem\` into p1, 1% rewritten, \`criu pre-dump --track-mem"
		echo "--prev-images-dir ../p1\` into p2, 1% more, \`criu dump --track-mem"
		echo "--prev-images-dir ../p2\` into d3, then \`criu restore -d -D d3\`."
		echo "Sizes: bytes of the files of each directory; times: the criu"
		echo "command's."
		echo
		echo "| Step | Size | of p1 | Time |"
		echo "|---|---|---|---|"
		for s in p1 p2 d3; do
			echo "| $s | $(mib "$(line criu 4k "$s" bytes)") |" \
				"$(pct "$(line criu 4k "$s" bytes)" "$p1") | $(secs "$(line criu 4k "$s" us)") |"
		done
		echo "| restore | | | $(secs "$(line time criu restore us)") |"
		echo
		echo "Memory check after \`criu restore\`: $(check criu restore)."
	else
		echo "Not measured (BENCH_INCR_CRIU=0, or the guest stopped before)."
	fi
	echo
	echo "Everything the guest wrote (\`bench/incr-guest.sh\`):"
	echo
	echo '```'
	cat "$OUT"
	echo '```'
	echo
	echo "Guest run: $(($(date +%s) - t0)) s (QEMU status $status); console: ${LOG#"$TOP"/}"
} >"$RESULTS/incr.md.new"
mv "$RESULTS/incr.md.new" "$RESULTS/incr.md"
cat "$RESULTS/incr.md"
# As make bench: a target missed or a check failed is in the report; only
# a guest that did not finish or measured nothing fails
[ "$status" = 0 ] && [ -n "$a" ] || fails=1
exit $fails
