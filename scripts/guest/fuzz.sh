#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of `make fuzz`: take seeds from a few selftests
# (CKPT_SEED_DIR), then run ckpt_fuzz for FUZZ_TIME seconds with its
# corpus, findings, results and PCs in the shared directory, which
# scripts/fuzz.sh reads afterwards.  The job's status is the fuzzer's:
# 0 nothing found, 1 findings, 2 it could not run.

DIR=/selftests/checkpoint
SHARE=/mnt/share
[ -f /job.env ] && . /job.env
grep -q " $SHARE " /proc/mounts || { echo "no $SHARE"; exit 2; }

SEEDS=/tmp/fuzz-seeds
mkdir -p "$SEEDS" "$SHARE/corpus"
cp "$DIR"/fixtures/*.img "$SEEDS"/ 2>/dev/null
for t in ${FUZZ_SEED_TESTS:-}; do
	echo "# seeds from $t"
	(cd $DIR && CKPT_SEED_DIR=$SEEDS timeout 600 "./$t" >/dev/null 2>&1)
done
set -- "$SEEDS"/*
echo "# $# seed images"

cd $DIR || exit 2
./ckpt_fuzz -t "${FUZZ_TIME:-1800}" -L "${FUZZ_LEAK_EVERY:-300}" \
	-s "$SEEDS" -c "$SHARE/corpus" -o "$SHARE/findings" \
	-r "$SHARE/fuzz.md" -p "$SHARE/pcs.txt"
