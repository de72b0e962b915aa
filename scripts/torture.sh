#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make torture`: race checkpoint(2) and restart(2) with forks, exits,
# kills, id changes and ptrace for a long time.  Runs ckpt_race_test in
# the debug kernel (KASAN, lockdep, kmemleak), each of its tests on its
# own with CKPT_RACE_ROUNDS=$TORTURE_ROUNDS, then writes
# bench/results/torture.md: per test its summary, result and duration,
# the kernel reports in the console (found as make check finds them,
# kernel_reports in lib.sh) and kmemleak's findings.  Exits 1 if a test
# failed or the kernel reported anything, 2 if the guest did not finish.
#
# Environment: TORTURE_ROUNDS (default 1000), TORTURE_TIMEOUT (the whole
# QEMU run; default 600 s plus 6 s a round), KVM=1.

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

TORTURE_ROUNDS=${TORTURE_ROUNDS:-1000}
[[ $TORTURE_ROUNDS =~ ^[1-9][0-9]*$ ]] ||
	die "TORTURE_ROUNDS=$TORTURE_ROUNDS is not a positive number"
# A round of all six tests takes under a second under TCG: ample margin
TORTURE_TIMEOUT=${TORTURE_TIMEOUT:-$((600 + 6 * TORTURE_ROUNDS))}
RESULTS=$TOP/bench/results
OUT=$RESULTS/torture.md
LOG=$WORK/torture-guest.log

# The TAP output of test $1 between its markers, without the kernel's lines
test_output() {
	awk -v t="$1" -v stamp="$KERNEL_STAMP" '
		index($0, "@@torture-test-begin=" t "@@") { on = 1; next }
		index($0, "@@torture-test-end=" t " ") { exit }
		on && $0 !~ stamp { print }' "$LOG"
}

# What test $1 logged with TH_LOG ("# FILE:LINE:TEST:text"), on one line;
# of a failed one ($2 = fail) only its "N rounds: ..." summary
summary_of() {
	local lines

	lines=$(sed -n -E "s/^# [^:]+:[0-9]+:$1:(.*)/\1/p")
	[ "$2" = fail ] && lines=$(grep -E '^[0-9]+ rounds: ' <<<"$lines" || true)
	[ -n "$lines" ] || lines='-'
	paste -sd ';' <<<"$lines" | sed -e 's/;/; /g' -e 's/|/\\|/g'
}

# One table row a test; the names of the failed ones go to $failed_tests
test_rows() {
	local t end status secs result out tests

	mapfile -t tests < <(sed -n 's/.*@@torture-test-begin=\([^@]*\)@@.*/\1/p' "$LOG")
	for t in "${tests[@]}"; do
		out=$(test_output "$t")
		end=$(grep -a -o "@@torture-test-end=$t rc=[0-9]* s=[0-9]*@@" "$LOG" | head -n 1 || true)
		status=$(sed -n -E 's/.* rc=([0-9]+) .*/\1/p' <<<"$end")
		secs=$(sed -n -E 's/.* s=([0-9]+)@@/\1 s/p' <<<"$end")
		case $status in
		0) result=pass ;;
		4) result=skip ;;
		'') result='fail (did not finish)' secs='-' ;;
		*) result="fail (status $status)" ;;
		esac
		[[ $result == fail* ]] && failed_tests+=("$t")
		echo "| $t | $result | $secs | $(summary_of "$t" "${result%% *}" <<<"$out") |"
	done
}

# Each report's first line, with the test that ran when it came
reports_table() {
	awk 'NR == FNR { sub(/:.*/, ""); at[$0] = 1; next }
		/@@torture-test-begin=/ { t = $0; sub(/.*@@torture-test-begin=/, "", t); sub(/@@.*/, "", t) }
		/@@torture-test-end=/ { t = "" }
		FNR in at { line = $0; gsub(/\|/, "\\|", line)
			printf "| %s | %d | `%s` |\n", t ? t : "(no test)", FNR, line }' \
		<(kernel_reports -n "$LOG") "$LOG"
}

leaks_of() {
	sed -n '/@@ckpt-kmemleak-begin@@/,/@@ckpt-kmemleak-end@@/p' "$LOG" |
		grep -v '@@ckpt-kmemleak' || true
}

write_results() {
	local reports leaks finished=yes

	grep -q '@@torture-end@@' "$LOG" || finished="no (QEMU run status $rc)"
	reports=$(kernel_reports -n "$LOG")
	leaks=$(leaks_of)
	echo "# Checkpoint/restart torture (make torture)"
	echo
	echo "ckpt_race_test in the debug kernel (KASAN, lockdep, kmemleak), each"
	echo "test on its own with CKPT_RACE_ROUNDS rounds; scripts/torture.sh."
	echo
	echo "- Date: $date"
	echo "- Kernel: $(grep -a -m 1 -o 'Linux version [^ ]*' "$LOG" || echo '?'), debug config;" \
		"tree $(tree_desc)"
	echo "- Rounds: $TORTURE_ROUNDS per test"
	echo "- Guest run: $(($(date +%s) - t0)) s; finished: $finished"
	echo "- Console: ${LOG#"$TOP"/}"
	echo
	echo "| Test | Result | Duration | Summary |"
	echo "|---|---|---|---|"
	test_rows
	echo
	echo "## Kernel reports"
	echo
	if [ -z "$reports" ]; then
		echo "None."
	else
		echo "$(grep -c . <<<"$reports") report line(s):"
		echo
		echo "| While | Console line | Report |"
		echo "|---|---|---|"
		reports_table
		echo
		echo '```'
		kernel_reports -A 25 "$LOG" | head -n 200
		echo '```'
	fi
	echo
	echo "## kmemleak"
	echo
	if ! grep -q '@@ckpt-kmemleak-begin@@' "$LOG"; then
		echo "Did not run."
	elif ! grep -q 'unreferenced object' <<<"$leaks"; then
		echo "No leaks."
	else
		echo "$(grep -c 'unreferenced object' <<<"$leaks") leak(s):"
		echo
		echo '```'
		head -n 80 <<<"$leaks"
		echo '```'
	fi
}

# The last lines of each failed test, where it says why
failure_details() {
	local t

	[ ${#failed_tests[@]} -gt 0 ] || return 0
	echo
	echo "## Failed tests"
	for t in "${failed_tests[@]}"; do
		echo
		echo "### $t"
		echo
		echo '```'
		test_output "$t" | tail -n 40
		echo '```'
	done
}

mkdir -p "$RESULTS"
rm -f "$LOG"
echo "TORTURE_ROUNDS=$TORTURE_ROUNDS" >"$WORK/torture.env"
date=$(date -u '+%Y-%m-%d %H:%M UTC')
t0=$(date +%s)
set +e
LOG=$LOG TIMEOUT=$TORTURE_TIMEOUT SHOW=job PREFIX="# guest| " \
	JOB_ENV_FILE=$WORK/torture.env \
	"$TOP/scripts/qemu-run.sh" debug "$TOP/scripts/guest/torture.sh"
rc=$?
set -e
[ -f "$LOG" ] || die "the guest did not run (status $rc)"

# test_rows fills failed_tests for failure_details: no subshell here
failed_tests=()
{
	write_results
	failure_details
} >"$OUT"
cat "$OUT"
echo "results: ${OUT#"$TOP"/}; console: ${LOG#"$TOP"/}"
if ! grep -q '@@torture-end@@' "$LOG"; then
	echo "error: the guest did not finish (status $rc)" >&2
	exit 2
fi
if [ ${#failed_tests[@]} -gt 0 ] || [ -n "$(kernel_reports "$LOG")" ] ||
	grep -q 'unreferenced object' <<<"$(leaks_of)"; then
	exit 1
fi
exit 0
