#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh: what `make bench` runs.  See bench/README.md.
#
#   1. installs what is missing (make deps, and Debian's criu);
#   2. builds the plain kernel and the initramfs (unless NO_BUILD=1) and
#      the static workload programs (bench/src) into build/bench/share;
#   3. copies criu and runc, the libraries ldd lists and the dynamic loader
#      into build/bench/share/sysroot, which the guest copies to its root;
#   4. boots the plain kernel with 2 vCPUs and 4 GiB, build/bench/share
#      mounted at /mnt/share, and bench/guest.sh as the job;
#   5. turns the guest's raw measurements into results.md, results.json
#      and the SVG plots (bench/report.py); the runc row into runc.md (when
#      it is the only row run, results.md only gets a link to it);
#   6. measures the kernel swap's downtime in a boot of its own
#      (bench/kexec.sh, kexec.md), then incremental checkpoints in
#      another (bench/incr.sh, incr.md), then live migration against CRIU
#      in a third (bench/migrate.sh, migrate.md), unless BENCH_ROWS is
#      given: run bench/kexec.sh, bench/incr.sh or bench/migrate.sh alone
#      for them.
#
# Environment:
#   BENCH_QUICK=1     one run of a reduced set, a few minutes; its results
#                     go to build/bench/results-quick, not bench/results
#   BENCH_RUNS=N      runs per row (default 5; 1 with BENCH_QUICK=1)
#   BENCH_ROWS="a b"  only these rows (names as in bench/guest.sh; hw-MIB,
#                     prof-NAME for the hardware limit and the profiles)
#   BENCH_PREFORK="MIB N"  size of the prefork row (default: 256 MiB, 50
#                     children), e.g. "16 5" to try it on a kernel that
#                     does not share the pages again
#   BENCH_PROFILE=0|1 perf profiles of a few rows (default: 1, quick: 0)
#   BENCH_RESULTS=dir where the report goes
#   BENCH_TIMEOUT=s   limit of the QEMU run (default 5400; quick: 1800)
#   NO_BUILD=1        do not run make kernel/initramfs first
#   KVM=1             KVM instead of TCG

set -euo pipefail

# All of it in one function, read before any of it runs: editing this file
# during a run (bash reads scripts as it goes) cannot change that run.
main() {

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export TOP
. "$TOP/scripts/lib.sh"

QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 1 ] || QUICK=0
if [ "$QUICK" = 1 ]; then
	PROFILE=${BENCH_PROFILE:-0}
	RUNS=${BENCH_RUNS:-1}
	RESULTS=${BENCH_RESULTS:-$BUILD/bench/results-quick}
	TIMEOUT=${BENCH_TIMEOUT:-1800}
else
	PROFILE=${BENCH_PROFILE:-1}
	RUNS=${BENCH_RUNS:-5}
	RESULTS=${BENCH_RESULTS:-$TOP/bench/results}
	TIMEOUT=${BENCH_TIMEOUT:-5400}
fi
B=$BUILD/bench
SHARE=$B/share
start=$(date +%s)

step() { printf '  %-8s %s\n' "$1" "$2"; }

# --- 1. dependencies ---------------------------------------------------------

make -s -C "$TOP" --no-print-directory deps
sudo_cmd=
[ "$(id -u)" = 0 ] || sudo_cmd="sudo -n"
need=()
for p in criu iproute2 iptables gcc python3; do
	status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "${status:0:2}" = ii ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	step DEPS "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo_cmd apt-get update -q
	$sudo_cmd apt-get install -y -q --no-install-recommends "${need[@]}"
fi

# --- 2. builds ---------------------------------------------------------------

if [ "${NO_BUILD:-0}" != 1 ]; then
	make -s -C "$TOP" --no-print-directory kernel CONFIG=plain
	make -s -C "$TOP" --no-print-directory initramfs
fi
kernel=$(obj_dir plain)/arch/x86/boot/bzImage
commit=$(git -C "$TOP" rev-parse HEAD 2>/dev/null || echo unknown)
# What the kernel was built from besides the commit (others' work in progress)
dirty=$(git -C "$TOP" status --porcelain --untracked-files=no -- . ':!bench' 2>/dev/null |
	awk '{ print $NF }' | tr '\n' ' ')
[ -f "$kernel" ] || die "no plain kernel: make kernel CONFIG=plain"

# Boot a copy: build/ may be shared, and someone may rebuild the kernel
# during a run of half an hour, which would leave the report with the
# hashes and the System.map (for the profiles) of another kernel.  The
# copy is kept only if nothing changed while it was taken.
snap=$B/kernel
obj=$(obj_dir plain)
files=("$kernel" "$obj/System.map" "$obj/.config" "$obj/include/generated/utsversion.h"
	"$WORK/initramfs.cpio.gz" "$WORK/gen_init_cpio")
for try in 1 2 3 4 5 6; do
	before=$(stat -c %Y.%s "${files[@]}" | tr '\n' ' ')
	rm -rf "$snap"
	mkdir -p "$snap/obj-plain/arch/x86/boot" "$snap/obj-plain/include/generated"
	cp "$kernel" "$snap/obj-plain/arch/x86/boot/bzImage"
	cp "$obj/System.map" "$obj/.config" "$snap/obj-plain/"
	cp "$obj/include/generated/utsversion.h" "$snap/obj-plain/include/generated/"
	cp "$WORK/initramfs.cpio.gz" "$WORK/gen_init_cpio" "$snap/"
	[ "$(stat -c %Y.%s "${files[@]}" | tr '\n' ' ')" = "$before" ] && break
	[ "$try" = 6 ] && die "the kernel keeps changing under build/: cannot take a copy"
	step WAIT "the kernel changed while it was copied; again in 30 s"
	sleep 30
done
config_sha=$(sha256sum <"$snap/obj-plain/.config" | cut -d' ' -f1)
kernel_sha=$(sha256sum <"$snap/obj-plain/arch/x86/boot/bzImage" | cut -d' ' -f1)
uts=$(sed -n 's/^#define UTS_VERSION "\(.*\)"/\1/p' "$snap/obj-plain/include/generated/utsversion.h")

mkdir -p "$SHARE/bin" "$SHARE/out"
cp "$TOP/bench/runc.sh" "$SHARE/bin/"
for prog in wl benchd; do
	bin=$SHARE/bin/$prog
	if [ ! -x "$bin" ] || [ -n "$(find "$TOP/bench/src" -newer "$bin" -name '*.[ch]')" ]; then
		step CC "bench/src/$prog.c"
		gcc -static -O2 -Wall -Wextra -Wno-format-truncation -pthread \
			-o "$bin" "$TOP/bench/src/$prog.c"
	fi
done

# --- 3. CRIU for the guest ---------------------------------------------------

criu=$(command -v criu || echo /usr/sbin/criu)
rm -rf "$SHARE/sysroot"
mkdir -p "$SHARE/sysroot"
for f in "$criu" $(ldd "$criu" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }'); do
	mkdir -p "$SHARE/sysroot$(dirname "$f")"
	cp -L "$f" "$SHARE/sysroot$f"
done
# runc for the runc row, and what CRIU runs for a container: `ip` and GNU
# `tar` (busybox's lack what CRIU asks of them) to save its network
# namespace and tmpfs mounts, iptables-restore (with the extensions it
# loads) for runc's default network lock
sysroot_add "$SHARE/sysroot" "$(command -v runc)" "$(command -v ip)" "$(command -v tar)" \
	"$(command -v iptables-restore)" "$(command -v ip6tables-restore)"
for d in /usr/lib/*/xtables; do
	mkdir -p "$SHARE/sysroot$d"
	cp -a "$d/." "$SHARE/sysroot$d/"
done
step CRIU "$("$criu" --version | head -n 1), $(runc --version | head -n 1) and $(find "$SHARE/sysroot" -name '*.so*' | wc -l) libraries"

# perf for the profiles, the same way (Debian's linux-perf is built for the
# host's kernel; the guest says whether it runs against ours)
rm -rf "$SHARE/perfroot"
perf=$(command -v perf || true)
if [ "$PROFILE" = 1 ] && [ -z "$perf" ]; then
	step DEPS "installing linux-perf"
	$sudo_cmd apt-get install -y -q --no-install-recommends linux-perf || true
	perf=$(command -v perf || true)
fi
if [ "$PROFILE" = 1 ] && [ -n "$perf" ]; then
	mkdir -p "$SHARE/perfroot"
	for f in "$perf" $(ldd "$perf" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }'); do
		mkdir -p "$SHARE/perfroot$(dirname "$f")"
		cp -L "$f" "$SHARE/perfroot$f"
	done
	step PERF "$("$perf" --version) for the profiles"
fi

# --- 4. the guest ------------------------------------------------------------

rm -f "$SHARE/out/"*
envfile=$B/job.env
{
	echo "BENCH_QUICK=$QUICK"
	echo "BENCH_RUNS=$RUNS"
	echo "BENCH_PROFILE=$PROFILE"
	echo "BENCH_ROWS='${BENCH_ROWS:-}'"
	echo "BENCH_PREFORK='${BENCH_PREFORK:-}'"
} >"$envfile"

if [ "$QUICK" = 1 ]; then
	step BENCH "quick: one run of a reduced set (a few minutes)"
else
	step BENCH "$RUNS runs of every row (well under an hour under TCG)"
fi
# The guest writes its progress to the shared directory too: show that as
# it grows (the console only reaches the host in large blocks).
touch "$SHARE/out/progress.log"
tail -n +1 -F "$SHARE/out/progress.log" 2>/dev/null &
tail_pid=$!
set +e
# BUILD=$snap: qemu-run.sh takes the kernel, the initramfs and
# gen_init_cpio from there (and KDIR would point it elsewhere)
env -u KDIR BUILD="$snap" SHARE="$SHARE" SMP=2 MEM=4G TIMEOUT="$TIMEOUT" \
	JOB_ENV_FILE="$envfile" APPEND=quiet LOG="$B/guest.log" SHOW=none \
	"$TOP/scripts/qemu-run.sh" plain "$TOP/bench/guest.sh"
rc=$?
set -e
sleep 1
kill "$tail_pid" 2>/dev/null || true
wait "$tail_pid" 2>/dev/null || true
guest_s=$(($(date +%s) - start))
[ -s "$SHARE/out/raw.jsonl" ] || [ -s "$SHARE/out/runc.jsonl" ] ||
	die "the guest measured nothing (status $rc; console: ${B#"$TOP"/}/guest.log)"

# --- 5. the report -----------------------------------------------------------

mkdir -p "$RESULTS"
args=()
# Only the runc row: the other rows' results stay, runc.md is written and
# results.md links to it
[ -s "$SHARE/out/raw.jsonl" ] && args+=(--raw "$SHARE/out/raw.jsonl")
[ -s "$SHARE/out/runc.jsonl" ] && args+=(--runc "$SHARE/out/runc.jsonl")
python3 "$TOP/bench/report.py" "${args[@]}" --env "$SHARE/out/env.txt" \
	--criu-check "$SHARE/out/criu-check.txt" \
	--config-sha "$config_sha" --kernel-sha "$kernel_sha" \
	--profile-dir "$SHARE/out" --system-map "$snap/obj-plain/System.map" --uts "$uts" \
	--commit "$commit" --dirty "$dirty" --quick "$QUICK" --runs "$RUNS" \
	--guest-status "$rc" --seconds "$guest_s" --date "$(date -u +%Y-%m-%dT%H:%MZ)" \
	--out "$RESULTS"
out=runc.md
[ -s "$SHARE/out/runc.jsonl" ] && cp "$SHARE/out/runc.jsonl" "$RESULTS/runc.jsonl"
if [ -s "$SHARE/out/raw.jsonl" ]; then
	cp "$SHARE/out/raw.jsonl" "$RESULTS/raw.jsonl"
	out=results.md
fi
step DONE "${RESULTS#"$TOP"/}/$out ($(($(date +%s) - start)) s)"

# --- 6. the kernel swap's downtime (a boot of its own, kexec twice) ------------
# --- incremental checkpoints (another boot), live migration (a third) ---------

if [ -z "${BENCH_ROWS:-}" ]; then
	step KEXEC "ckpt kexec of 64 MiB and 1 GiB: ${RESULTS#"$TOP"/}/kexec.md"
	NO_BUILD=1 BENCH_RESULTS=$RESULTS "$TOP/bench/kexec.sh" >/dev/null ||
		step KEXEC "failed: see ${RESULTS#"$TOP"/}/kexec.md"
	step INCR "incremental checkpoints of 1 GiB: ${RESULTS#"$TOP"/}/incr.md"
	NO_BUILD=1 BENCH_RESULTS=$RESULTS "$TOP/bench/incr.sh" >/dev/null ||
		step INCR "failed: see ${RESULTS#"$TOP"/}/incr.md"
	step MIGRATE "live migration of 1 GiB dirtying 16 MiB/s: ${RESULTS#"$TOP"/}/migrate.md"
	NO_BUILD=1 BENCH_RESULTS=$RESULTS "$TOP/bench/migrate.sh" >/dev/null ||
		step MIGRATE "failed: see ${RESULTS#"$TOP"/}/migrate.md"
fi
[ "$rc" = 0 ] || die "the guest job exited with status $rc (console: ${B#"$TOP"/}/guest.log)"
}

main "$@"
