#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make fuzz`: run ckpt_fuzz, the restart(2) fuzzer, in the debug kernel
# (KCOV, KASAN, lockdep, kmemleak) for FUZZ_TIME seconds, then put its
# results in bench/results/fuzz.md (with the PCs covered, per source
# file) and its findings in bench/results/fuzz-findings/.  The corpus
# stays in $WORK/fuzz-share/corpus, so that the next campaign starts from
# it.  Exits 1 if there were findings.
#
# Environment: FUZZ_TIME (seconds, default 1800), FUZZ_LEAK_EVERY
# (kmemleak scan interval, default 300 s), FUZZ_SEED_TESTS (selftests
# whose images join the seeds, default a few quick ones; "" for none),
# KVM=1.

. "$(dirname "$0")/lib.sh"

FUZZ_TIME=${FUZZ_TIME:-1800}
FUZZ_LEAK_EVERY=${FUZZ_LEAK_EVERY:-300}
FUZZ_SEED_TESTS=${FUZZ_SEED_TESTS-ckpt_restart_test ckpt_files_test ckpt_ipc_test}
SHARE_DIR=$WORK/fuzz-share
RESULTS=$TOP/bench/results
LOG=$WORK/fuzz-guest.log

mkdir -p "$SHARE_DIR/corpus" "$RESULTS"
rm -rf "$SHARE_DIR/findings" "$SHARE_DIR/fuzz.md" "$SHARE_DIR/pcs.txt"
cat >"$WORK/fuzz.env" <<EOT
FUZZ_TIME=$FUZZ_TIME
FUZZ_LEAK_EVERY=$FUZZ_LEAK_EVERY
FUZZ_SEED_TESTS="$FUZZ_SEED_TESTS"
EOT

set +e
LOG=$LOG TIMEOUT=$((FUZZ_TIME + 1800)) SHOW=job PREFIX="# guest| " \
	JOB_ENV_FILE=$WORK/fuzz.env SHARE=$SHARE_DIR \
	"$TOP/scripts/qemu-run.sh" debug "$TOP/scripts/guest/fuzz.sh"
rc=$?
set -e

if [ ! -f "$SHARE_DIR/fuzz.md" ]; then
	echo "error: the fuzzer wrote no results (status $rc; console: ${LOG#"$TOP"/})" >&2
	exit 2
fi
cp "$SHARE_DIR/fuzz.md" "$RESULTS/fuzz.md"
rm -rf "$RESULTS/fuzz-findings"
[ -d "$SHARE_DIR/findings" ] && cp -r "$SHARE_DIR/findings" "$RESULTS/fuzz-findings"

# KCOV gives PCs without KASLR's offset: vmlinux's symbols name their
# functions, and the objects of vmlinux.a (a thin archive) their files,
# which works without debug information.
obj=$(obj_dir debug)
if [ -s "$SHARE_DIR/pcs.txt" ] && [ -f "$obj/vmlinux" ] && [ -f "$obj/vmlinux.a" ] &&
	command -v addr2line >/dev/null; then
	{
		echo
		echo "## Kernel PCs covered, by object file"
		echo
		echo "| file | PCs |"
		echo "|---|---|"
		awk 'NR == FNR { if ($2 ~ /^[tT]$/ && !($3 in file)) file[$3] = $1; next }
			{ f = ($1 in file) ? file[$1] : "?"; n[f]++ }
			END { for (f in n) printf "%d %s\n", n[f], f }' \
			<(nm -A --defined-only "$obj/vmlinux.a" 2>/dev/null |
				sed -e "s|^[^:]*:$obj/||" -e 's|:[0-9a-f]*||') \
			<(addr2line -f -e "$obj/vmlinux" <"$SHARE_DIR/pcs.txt" | sed -n 'p;n') |
			sort -rn | awk '{ printf "| %s | %d |\n", $2, $1 }'
	} >>"$RESULTS/fuzz.md"
fi
cat "$RESULTS/fuzz.md"
echo "results: ${RESULTS#"$TOP"/}/fuzz.md; console: ${LOG#"$TOP"/}"
case $rc in
0) exit 0 ;;
1) echo "findings: ${RESULTS#"$TOP"/}/fuzz-findings/" >&2; exit 1 ;;
*) echo "error: the guest job ended with status $rc" >&2; exit 2 ;;
esac
