#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/migrate.sh: live migration of a process of 1 GiB that keeps
# dirtying 16 MiB/s, over loopback inside one guest: `ckpt migrate`
# (pre-copy rounds, then the last image taken frozen, sent, restarted on
# the other side from the chain of images; and again with --lazy on the
# destination: the chain merged into one file, restarted from it
# post-copy) against CRIU's classic pre-dump --track-mem + page-server +
# dump + restore.  The target: the downtime at most 300 ms
# under TCG and at least 5 times shorter than CRIU's.  A boot of its own of
# the plain kernel (5 GiB, images on a tmpfs); bench/migrate-guest.sh does
# the work.  Writes bench/results/migrate.md (BENCH_RESULTS=dir elsewhere);
# make bench runs it after bench/incr.sh.  Environment: KVM=1, NO_BUILD=1,
# BENCH_MIGRATE_CRIU=0 (no CRIU), BENCH_MIGRATE_MIB=N (1024),
# BENCH_MIGRATE_RATE=N (MiB/s, 16), BENCH_MIGRATE_REPORT=1 (no boot: the
# report again from the last run's output).

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

RESULTS=${BENCH_RESULTS:-$TOP/bench/results}
SHARE=$WORK/bench-migrate
LOG=$WORK/bench-migrate.log
CRIU=${BENCH_MIGRATE_CRIU:-1}
MIB=${BENCH_MIGRATE_MIB:-1024}
RATE=${BENCH_MIGRATE_RATE:-16}
OUT=$SHARE/out/migrate.txt

uts=$(sed -n 's/^#define UTS_VERSION "\(.*\)"/\1/p' \
	"$(obj_dir plain)/include/generated/utsversion.h" 2>/dev/null || true)
t0=$(date +%s)
status=0
if [ "${BENCH_MIGRATE_REPORT:-0}" = 1 ]; then
	[ -f "$OUT" ] || die "$OUT: no run to report"
	t0=$(stat -c %Y "$LOG")
	t0=$((t0 - $(sed -n 's/^run_s=//p' "$SHARE/run.txt" 2>/dev/null || echo 0)))
	status=$(sed -n 's/^status=//p' "$SHARE/run.txt" 2>/dev/null || echo 0)
else
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
	{
		echo "BENCH_MIGRATE_CRIU=$CRIU"
		echo "BENCH_MIGRATE_MIB=$MIB"
		echo "BENCH_MIGRATE_RATE=$RATE"
		# the destination's copy, and the source's memfd of the first
		# round; with --lazy the rounds and their merged image at once
		echo "BENCH_MIGRATE_TMPFS=$(((MIB * 3 + 256) / 1024 + 1))g"
	} >"$envfile"
	LOG=$LOG MEM=5G TIMEOUT=2400 SHOW=none SHARE=$SHARE APPEND=quiet JOB_ENV_FILE=$envfile \
		"$TOP/scripts/qemu-run.sh" plain "$TOP/bench/migrate-guest.sh" >/dev/null 2>&1 || status=$?
	printf 'status=%s\nrun_s=%s\n' "$status" "$(($(date +%s) - t0))" >"$SHARE/run.txt"
fi
touch "$OUT"

# val V KEY: the first "KEY=N" (N a number) of the lines of V, e.g.
# val ours "migrate rc"
val() {
	sed -n "s/^[a-z]* $1 .*$2=\([0-9.]*\).*/\1/p" "$OUT" | head -n 1
}

# Numbers as the tables show them; nothing for a figure not measured
mib() { [ -z "$1" ] || awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
# a duration in us: ms below 10 s, else s
dur() {
	[ -z "$1" ] || awk -v u="$1" 'BEGIN {
		if (u < 1e7) printf "%.0f ms", u / 1000; else printf "%.2f s", u / 1e6 }'
}

# The workload's longest gap (us), the one from the source to the
# destination
gap_us() {
	sed -n "s/^gap $1 \([0-9.]*\) .*/\1/p" "$OUT" | sort -n | tail -n 1 |
		awk 'NF { printf "%.0f", $1 * 1000 }'
}
# Its longest gap after that one, once it runs on the destination (lazy:
# pages it waits for)
gap_after_us() {
	awk -v v="$1" '$1 == "gap" && $2 == v {
			n++; ms[n] = $3; if ($3 + 0 > ms[m] + 0) m = n }
		END { for (i = m + 1; i <= n; i++) if (ms[i] + 0 > a + 0) a = ms[i]
			if (m) printf "%.0f", a * 1000 }' "$OUT"
}

# Ours (V: ours, lazy) from the source's lines, into the array f
declare -A f o l
ckpt_figures() {
	local v=$1 x
	f=()
	f[rounds]=$(sed -n "s/^out $v .*after \([0-9]*\) round(s).*/\1/p" "$OUT" | head -n 1)
	x=$(sed -n "s/^out $v .*; downtime \([0-9]*\) ms;.*/\1/p" "$OUT" | head -n 1)
	f[tool]=${x:+$((x * 1000))}
	f[last_frozen]=$(sed -n "s/^out $v .*complete: .* \([0-9]*\) us frozen.*/\1/p" "$OUT" | tail -n 1)
	f[pre_frozen]=$(sed -n "s/^out $v pre-dump: .* \([0-9]*\) us frozen.*/\1/p" "$OUT" | sort -n | tail -n 1)
	f[restart]=$(sed -n "s/^out $v restart .*\"wall_us\":\([0-9]*\).*/\1/p" "$OUT" | head -n 1)
	f[bytes]=$(awk -v v="$v" '$1 == "bytes" && $2 == v { s += $4 } END { if (s) print s }' "$OUT")
	f[last_bytes]=$(awk -v v="$v" '$1 == "bytes" && $2 == v { b = $4 } END { if (b) print b }' "$OUT")
	f[total]=$(val "$v" "migrate rc=0 us")
	f[gap]=$(gap_us "$v")
	f[gap_after]=$(gap_after_us "$v")
	f[check]=$(sed -n "s/^check $v rc=\([0-9]*\) \(.*\)/\1 \2/p" "$OUT" | head -n 1)
	# between the last image and restart(2): sending it, the destination
	# indexing it (the rounds were indexed as they came) and merging the
	# chain by reference into merged.img
	f[between]=
	[ -n "${f[tool]}" ] && [ -n "${f[last_frozen]}" ] && [ -n "${f[restart]}" ] &&
		f[between]=$((f[tool] - f[last_frozen] - f[restart]))
	return 0
}
ckpt_figures ours
for x in "${!f[@]}"; do o[$x]=${f[$x]}; done
ckpt_figures lazy
for x in "${!f[@]}"; do l[$x]=${f[$x]}; done
l_merged=$(sed -n 's/^size lazy merged.img \([0-9]*\)/\1/p' "$OUT" | head -n 1)

# CRIU: the last dump's stats (freezing + frozen), the restore, the gap
c_n=$(grep -c '^criu criu p[0-9]* rc=0' "$OUT")
c_dump_frozen=$(sed -n 's/^criu criu d rc=0 .*freezing_us=\([0-9]*\) frozen_us=\([0-9]*\).*/\1 \2/p' "$OUT" |
	awk 'NF { print $1 + $2 }')
c_pre_frozen=$(sed -n 's/^criu criu p[0-9]* rc=0 .*freezing_us=\([0-9]*\) frozen_us=\([0-9]*\).*/\1 \2/p' "$OUT" |
	awk 'NF { print $1 + $2 }' | sort -n | tail -n 1)
c_cp=$(val criu "cp rc=0 us")
c_dump=$(sed -n 's/^criu criu d rc=0 us=\([0-9]*\).*/\1/p' "$OUT")
c_restore=$(val criu "restore rc=0 us")
c_bytes=$(awk '$1 == "criu" && $2 == "criu" && $4 == "rc=0" {
	for (i = 5; i <= NF; i++) if ($i ~ /^bytes=/) { sub("bytes=", "", $i); s += $i } }
	END { if (s) print s }' "$OUT")
c_last_bytes=$(sed -n 's/^criu criu d rc=0 .*bytes=\([0-9]*\).*/\1/p' "$OUT")
c_total=$(val criu "migrate rc=0 us")
c_gap=$(gap_us criu)
c_check=$(sed -n 's/^check criu rc=\([0-9]*\) \(.*\)/\1 \2/p' "$OUT" | head -n 1)
[ -n "$c_dump" ] && [ -n "$c_restore" ] && c_down=$((c_dump + ${c_cp:-0} + c_restore))
c_gap_after=$(gap_after_us criu)

checked() {
	if [ -z "$1" ]; then
		echo "not run"
	elif [ "${1%% *}" = 0 ]; then
		echo "passed (${1#* check: })"
	else
		echo "FAILED (status ${1%% *}: ${1#* })"
	fi
}

# verdict GAP: the targets for a downtime of GAP us, "V1; CRIU's / ours =
# R, V2"
verdict() {
	awk -v g="${1:-0}" -v c="${c_gap:-0}" 'BEGIN {
		if (!g) v = "not measured"; else if (g <= 300000) v = "met"; else v = "missed"
		if (!g || !c) w = "not measured"; else if (c >= 5 * g) w = "met"; else w = "missed"
		printf "%s; CRIU'"'"'s / ours = %s, %s", v, (g && c) ? sprintf("%.2f×", c / g) : "–", w }'
}
# after GAP: the longest gap once on the destination, "none" if no gap
# over 50 ms
after() {
	if [ "$1" = 0 ]; then echo "none over 50 ms"; else dur "$1"; fi
}
machine="QEMU $([ "${KVM:-0}" = 1 ] && echo KVM || echo TCG), 2 vCPUs, 5 GiB"
{
	echo "# Live migration (ckpt migrate) against CRIU's pre-dump + page-server"
	echo
	echo "bench/migrate.sh: \`wl dirty $MIB $RATE\`, $MIB MiB of private anonymous"
	echo "memory in 4 KiB pages (MADV_NOHUGEPAGE), every page written with"
	echo "random data, then $RATE MiB/s of it dirtied at an even pace (the first"
	echo "word of $((RATE * 256)) pages a second, going round the region) for as"
	echo "long as it runs; it is migrated 2 s after it is set up, over"
	echo "loopback inside one guest, and a second after it runs on the"
	echo "destination \`SIGTERM\` makes it check every byte of its memory"
	echo "against what it dirtied. Images and received files on a tmpfs."
	echo
	echo "- Date: $(date -u -d "@$t0" '+%Y-%m-%d %H:%M UTC'); tree $(tree_desc)"
	echo "- Guest: $machine, plain kernel $(sed -n 's/^env kernel=\([^ ]*\).*/\1/p' "$OUT")"
	echo "  built from the working tree ($uts); the host's 2 cores shared"
	echo "  with other engineers' builds and guests"
	echo
	echo "**Targets: downtime ≤ 300 ms under TCG and ≥ 5× shorter than CRIU's"
	echo "($(dur "$c_gap")). Ours: $(dur "${o[gap]}"), $(verdict "${o[gap]}"); ours"
	echo "lazy: $(dur "${l[gap]}"), $(verdict "${l[gap]}").**"
	echo
	echo "| | ours (\`ckpt migrate\`) | ours, lazy (\`--listen ... --lazy\`) | CRIU |"
	echo "|---|---|---|---|"
	echo "| **Downtime**, as the process saw it | **$(dur "${o[gap]}")** | **$(dur "${l[gap]}")** | **$(dur "$c_gap")** |"
	echo "| Downtime as the tools time it | $(dur "${o[tool]}") | $(dur "${l[tool]}") | $(dur "$c_down") |"
	echo "| – the last image | $(dur "${o[last_frozen]}"), frozen in checkpoint(2) | $(dur "${l[last_frozen]}"), the same | $(dur "$c_dump") \`criu dump\`; $(dur "$c_dump_frozen") frozen (its stats) |"
	echo "| – then | $(dur "${o[between]}"): the last image sent and indexed, the chain merged by reference into merged.img | $(dur "${l[between]}"): the same | $(dur "$c_cp"): \`cp\` of the dump's other images |"
	echo "| – the restart | $(dur "${o[restart]}"), restart(2) of merged.img, its pages read from the rounds | $(dur "${l[restart]}"), the same with \`RESTART_LAZY\`: its pages left in the rounds | $(dur "$c_restore"), \`criu restore -d\` |"
	echo "| Longest gap after, on the destination | $(after "${o[gap_after]}") | $(after "${l[gap_after]}") | $(after "$c_gap_after") |"
	echo "| Longest freeze of a pre-copy round | $(dur "${o[pre_frozen]}") | $(dur "${l[pre_frozen]}") | $(dur "$c_pre_frozen") |"
	echo "| Total time | $(dur "${o[total]}") | $(dur "${l[total]}") | $(dur "$c_total") |"
	echo "| Pre-copy rounds before the last image | ${o[rounds]} | ${l[rounds]} | ${c_n:-} |"
	echo "| Bytes sent, all rounds | $(mib "${o[bytes]}") | $(mib "${l[bytes]}") | $(mib "$c_bytes") |"
	echo "| of which the last image | $(mib "${o[last_bytes]}") | $(mib "${l[last_bytes]}") | $(mib "$c_last_bytes") |"
	echo "| Image restarted from | merged.img, its pages in the rounds | merged.img, $(mib "$l_merged"); its pages in the rounds | |"
	echo "| Memory check after the move | $(checked "${o[check]}") | $(checked "${l[check]}") | $(checked "$c_check") |"
	echo
	echo "- **Downtime, as the process saw it**: the workload's longest gap"
	echo "  between two heartbeats (it beats every millisecond, \`CLOCK_REALTIME\`;"
	echo "  the time of its last beat is in its memory, so its first beat on"
	echo "  the destination measures from its last beat on the source): from"
	echo "  the freeze on the source to running on the destination. **Gap"
	echo "  after**: its longest gap after that one (over 50 ms), while it"
	echo "  runs on the destination (lazy: the pages it waits for)."
	echo "- **Both destinations** index each round as it arrives (check its"
	echo "  CRCs, note the CRC of each page); once the last image is in they"
	echo "  merge the chain *by reference* into merged.img: its metadata, and a"
	echo "  \`PAGES_FILE\` record for each run of pages, naming the round file"
	echo "  that has its latest contents, which restart(2) gets as externals"
	echo "  (\`CKPT_EXT_PAGES\`): no page is copied after the freeze."
	echo "- **Lazy**: the same commands with \`--lazy\` on the destination:"
	echo "  restart(2) with \`RESTART_LAZY\` returns before the memory is in;"
	echo "  the pages are read from the rounds on first touch, the rest by a"
	echo "  kernel worker, and the round files are removed once restart(2)"
	echo "  holds them. Its bytes sent are the images' sizes as checkpoint(2)"
	echo "  said them."
	echo "- **As the tools time it**: ours, \`ckpt migrate\`'s own \"downtime\","
	echo "  from before the last checkpoint(2) to the destination's answer"
	echo "  that restart(2) returned; CRIU, the final \`criu dump\` command, the"
	echo "  \`cp\` of its images and the \`criu restore -d\` command (the dump"
	echo "  command's time includes what it does before it freezes)."
	echo "- **The last image**: ours, the kernel's \"... us frozen\" of the last"
	echo "  checkpoint(2) (\`ckpt migrate --log\`), from the syscall's start until"
	echo "  the image is in the memfd and the tasks are left stopped. CRIU,"
	echo "  \`freezing_time + frozen_time\` of the final dump's \`stats-dump\`,"
	echo "  which includes sending the last pages to the page server. Either"
	echo "  is only the start of the downtime: the process stays stopped until"
	echo "  it runs on the other side. **The restart**: restart(2)'s wall time"
	echo "  on the destination (\`ckpt restart --stats\`, passed after \`--\`),"
	echo "  the \`criu restore\` command."
	echo "- **Pre-copy freeze**: ours, the kernel's \"pre-dump: the tasks run"
	echo "  again after ... us frozen\"; CRIU, freezing + frozen of each"
	echo "  pre-dump's stats."
	echo "- **Total**: ours, the \`ckpt migrate PID --to\` command; CRIU, from"
	echo "  the first \`criu page-server\` to the end of \`criu restore\`."
	echo "- **Bytes sent**: ours, the images the destination received (each"
	echo "  round's file in \`--dir\`); CRIU, the files the page server wrote (its"
	echo "  pages and pagemaps). CRIU gets as many pre-dumps as ours took rounds."
	echo "- Ours moves the workload started as the init of a pid namespace of"
	echo "  its own (\`unshare -p -f\`): source and destination share the"
	echo "  guest's pid namespace, and the source's process is killed only once"
	echo "  the destination runs it, so the restored one cannot have its pid."
	echo "  CRIU's dump kills it first, and it is restored with its pid."
	echo
	echo "Where the downtime goes and what would shorten it: [bench/README.md,"
	echo "Live migration](../README.md#live-migration-ckpt-migrate)."
	echo
	echo "## Commands"
	echo
	echo '```sh'
	echo "# ours: the workload as the init of a pid namespace; PID: unshare's child"
	echo "unshare -p -f sh -c 'exec wl dirty $MIB $RATE >/mig/wl.out 2>&1' &"
	echo "ckpt migrate --listen 127.0.0.1:27100 --dir /mig/dst -- --stats restart.json &"
	echo "#   lazy: ckpt migrate --listen 127.0.0.1:27100 --dir /mig/dst --lazy -- --stats restart.json &"
	echo "ckpt migrate PID --to 127.0.0.1:27100 --log src.log"
	echo "kill -TERM NEWPID       # the pid the source prints; --listen exits with its status"
	echo "# CRIU: a plain process"
	echo "wl dirty $MIB $RATE >/mig/wl.out 2>&1 &             # PID"
	echo "# pre-dump i = 1..N (the first without --prev-images-dir)"
	echo "criu page-server -D /mig/dst/pi --port 27100 --prev-images-dir ../p(i-1) -d"
	echo "criu pre-dump -t PID -D /mig/src/pi --shell-job --track-mem --prev-images-dir ../p(i-1) \\"
	echo "	--page-server --address 127.0.0.1 --port 27100"
	echo "criu page-server -D /mig/dst/d --port 27100 --prev-images-dir ../pN -d"
	echo "criu dump -t PID -D /mig/src/d --shell-job --track-mem --prev-images-dir ../pN \\"
	echo "	--page-server --address 127.0.0.1 --port 27100"
	echo "cp -n /mig/src/d/* /mig/dst/d/"
	echo "criu restore -D /mig/dst/d --shell-job -d"
	echo "kill -TERM PID"
	echo '```'
	echo
	echo "(each destination directory gets its \`parent\` link to the one"
	echo "before by hand, \`ln -s ../p(i-1) /mig/dst/pi/parent\`.)"
	echo
	echo "Everything the guest wrote (\`bench/migrate-guest.sh\`):"
	echo
	echo '```'
	cat "$OUT"
	echo '```'
	echo
	echo "Guest run: $(sed -n 's/^run_s=//p' "$SHARE/run.txt" 2>/dev/null) s (QEMU status $status); console: ${LOG#"$TOP"/}"
} >"$RESULTS/migrate.md.new"
mv "$RESULTS/migrate.md.new" "$RESULTS/migrate.md"
cat "$RESULTS/migrate.md"
# As make bench: a target missed or a check failed is in the report; only
# a guest that did not finish or measured nothing fails
fails=0
[ "$status" = 0 ] && [ -n "${o[total]}" ] || fails=1
exit $fails
