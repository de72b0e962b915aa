#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# patches.sh generate [OUTDIR]
#	Write the whole feature as a numbered `git format-patch` series with
#	a cover letter (default out/patches/).
# patches.sh check
#	Generate the series into a temporary directory, `git am` it onto the
#	pristine base and compare the result with the prepared kernel tree.
# patches.sh bisect
#	Like check, then build the plain kernel at every prefix of the series.
#
# The series is made in a git repository of the pristine tree,
# $WORK/patches-git (created once; branch "base" is the pristine tree).
# Its order makes every prefix build:
#
#   1. the entries of patches/series that are not build hooks, in order
#      (exports and syscall-table entries build without our code);
#   2. our new kernel files, one patch per subsystem; nothing builds them
#      yet, so each applies and builds on its own;
#   3. the hook entries of patches/series (those that touch only Kconfig,
#      Makefile and Kbuild files): from here on CONFIG_CHECKPOINT exists
#      and compiles everything before it;
#   4. the selftests, the ckpt tool and the documentation.

. "$(dirname "$0")/lib.sh"

GIT_DIR_BASE=$WORK/patches-git
STATE=$WORK/sync
DEFAULT_AUTHOR="Checkpoint/Restart developers <criu-kernel@example.org>"
export GIT_COMMITTER_NAME="ckpt build" GIT_COMMITTER_EMAIL="build@localhost"

g() { git -C "$GIT_DIR_BASE" "$@"; }

# Groups of new files: "name|pathspecs|subject|what it adds".  Kernel
# groups come before the hook patches, the others after them.
KERNEL_GROUPS=(
	"core|include/uapi/linux/checkpoint.h include/linux/checkpoint*.h kernel/checkpoint|checkpoint: add the image format and the core of checkpoint() and restart()|the UAPI image format, the core that walks and freezes the tasks, streams and verifies the image records and logs errors, and the two system calls"
	"mm|mm/checkpoint*.[ch]|mm/checkpoint: save and restore address spaces|the back end for address spaces: VMAs, their pages, shared memory and the mm layout"
	"fs|fs/checkpoint*.[ch]|fs/checkpoint: save and restore open files, cwd and umask|the back end for file descriptor tables, open files (pipes, ptys and anonymous ones included), locks and the fs struct"
	"ipc|ipc/checkpoint*|ipc/checkpoint: save and restore System V IPC|the back end for a container's System V IPC namespace: message queues, semaphore sets, undo lists and shared memory segments"
	"cgroup|kernel/cgroup/checkpoint.c|cgroup/checkpoint: save and restore a container's cgroups|the back end for a container's cgroup namespace: the cgroups below its root, their limits and the processes in each"
	"net|net/checkpoint*.[ch] net/unix/checkpoint.c net/core/checkpoint.c|net/checkpoint: save and restore sockets and network namespaces|the back end for sockets (UNIX, TCP, UDP and netlink sockets, their connections and queued data) and for a network namespace's devices, addresses, routes and sysctls"
	"x86|arch/x86/checkpoint|x86/checkpoint: save and restore registers and XSAVE state|the x86-64 back end: general registers and the XSAVE area"
)
USER_GROUPS=(
	"selftests|tools/testing/selftests/checkpoint|selftests/checkpoint: test checkpoint() and restart()|kselftests of the system calls"
	"tools|tools/checkpoint|tools/checkpoint: add the ckpt command|ckpt, the command-line front end: checkpoint, restart and show (decode) images"
	"docs|Documentation/checkpoint|Documentation/checkpoint: describe the system calls and the image format|the documentation"
)

series_entries() {
	[ -f "$TOP/patches/series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]\+-p1[[:space:]]*$//' "$TOP/patches/series" |
		awk 'NF { print $1 }'
}

# A hook patch touches build files only (Kconfig*, Makefile*, Kbuild*).
is_hook_patch() {
	awk '
	/^\+\+\+ / {
		p = $2
		sub(/^b\//, "", p)
		n = split(p, parts, "/")
		f = parts[n]
		files++
		if (f !~ /^(Kconfig|Makefile|Kbuild)/)
			other++
	}
	END { exit !(files > 0 && other == 0) }' "$1"
}

ensure_base_repo() {
	local tmp=$WORK/patches-git.tmp desc f

	if g rev-parse -q --verify base >/dev/null 2>&1; then
		return 0
	fi
	desc=$(base_description)
	msg GIT "pristine base repository (once): $desc"
	rm -rf "$tmp" "$GIT_DIR_BASE"
	mkdir -p "$tmp"
	if [ -z "${KDIR:-}" ]; then
		tar -xJf "$DEB_TARBALL" -C "$tmp" --strip-components=1
	else
		# The user's tree minus what prepare-tree.sh did to it.
		[ -s "$STATE/pristine.list" ] || die "run 'make tree' first"
		rsync -a --exclude=/.git "$SRC/" "$tmp/"
		while read -r state f; do
			if [ "$state" = present ]; then
				cp -p "$STATE/pristine/$f" "$tmp/$f"
			else
				rm -f "$tmp/$f"
			fi
		done <"$STATE/pristine.list"
	fi
	git -C "$tmp" init -q -b base
	git -C "$tmp" config core.autocrlf false
	git -C "$tmp" config gc.auto 0
	git -C "$tmp" add -A -f .
	GIT_AUTHOR_NAME="ckpt build" GIT_AUTHOR_EMAIL="build@localhost" \
		git -C "$tmp" commit -q -m "$desc" -m "The base of the checkpoint/restart series."
	mv "$tmp" "$GIT_DIR_BASE"
}

# author and date of the last change to the given repo paths
last_author() {
	local a

	a=$(cd "$TOP" && git log -1 --format='%an <%ae>' -- "$@" 2>/dev/null || true)
	echo "${a:-$DEFAULT_AUTHOR}"
}

last_date() {
	local d

	d=$(cd "$TOP" && git log -1 --format='%aD' -- "$@" 2>/dev/null || true)
	echo "${d:-$(date -R)}"
}

apply_series_patch() {
	local p=$1 f=$TOP/patches/$1 mbox

	mbox=$(mktemp)
	{
		head -n 1 "$f" | grep -q '^From ' ||
			echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
		# git am takes the author date from the mail; give it the
		# date the patch was last changed here.
		awk -v date="$(last_date "patches/$p")" '
			!body && /^Date: / { dated = 1 }
			!body && /^$/ { if (!dated) print "Date: " date; body = 1 }
			{ print }' "$f"
	} >"$mbox"
	if ! g am -q --whitespace=nowarn "$mbox"; then
		rm -f "$mbox"
		g am --abort || true
		die "patches/$p does not apply with git am to $(base_description)" \
			"(after the patches before it in the generated order)"
	fi
	rm -f "$mbox"
}

# commit_group "name|paths|subject|body": our files under paths, as they
# are in the working tree, in one commit.  Nothing to commit: no patch.
commit_group() {
	local paths subject body files f

	IFS='|' read -r _ paths subject body <<<"$1"
	# shellcheck disable=SC2086 # paths is a list of pathspecs
	files=$(list_overlay_files $paths)
	[ -n "$files" ] || return 0
	while read -r f; do
		mkdir -p "$(dirname "$GIT_DIR_BASE/$f")"
		cp "$TOP/$f" "$GIT_DIR_BASE/$f"
		g add -f -- "$f"
	done <<<"$files"
	# shellcheck disable=SC2086
	GIT_AUTHOR_DATE="$(last_date $paths)" \
		g commit -q --author="$(last_author $paths)" -F - <<EOF
$subject

Add $body.

Until the build hooks later in this series, nothing compiles these
files, so this patch builds on its own; the hooks are one patch that
wires up all subsystems together.

Files:
$(sed 's/^/  /' <<<"$files")
EOF
}

# Build the series on branch "series"; print its commits, oldest first.
make_series() {
	local p hooks=() plain=() grp

	ensure_base_repo
	g checkout -q -f base
	g clean -q -fdx
	g checkout -q -B series base
	while read -r p; do
		[ -f "$TOP/patches/$p" ] || die "patches/series names $p, which does not exist"
		if is_hook_patch "$TOP/patches/$p"; then hooks+=("$p"); else plain+=("$p"); fi
	done < <(series_entries)

	for p in "${plain[@]}"; do apply_series_patch "$p"; done
	for grp in "${KERNEL_GROUPS[@]}"; do commit_group "$grp"; done
	for p in "${hooks[@]}"; do apply_series_patch "$p"; done
	for grp in "${USER_GROUPS[@]}"; do commit_group "$grp"; done
}

cover_letter() {
	local cover=$1 desc n blurb

	desc=$(base_description)
	n=$(g rev-list --count base..series)
	blurb=$(
		cat <<EOF
This series adds in-kernel checkpoint/restart: checkpoint(2) freezes a
single-threaded process without children at a clean point and streams
its whole state into a file descriptor; restart(2) rebuilds it from such
a stream, with its original pid, and lets it carry on.  The x86-64 system
call numbers are 463 and 464.  See Documentation/checkpoint/.

Base: $desc.
The series applies with \`git am\` to that tree as released (no git
history is shipped with it).

Order: small changes to existing code (exports, syscall table) come
first, then the new files per subsystem, then the Kconfig/Makefile hooks
that build them, then the selftests, the ckpt tool and the
documentation, so that every prefix of the series builds.

Testing: \`make check\` boots a KASAN/lockdep/kmemleak kernel in QEMU and
runs tools/testing/selftests/checkpoint/.
EOF
	)
	awk -v subject="checkpoint/restart: in-kernel checkpoint(2) and restart(2)" \
		-v blurb="$blurb" '
		/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, subject) }
		/\*\*\* BLURB HERE \*\*\*/ { print blurb; next }
		{ print }' "$cover" >"$cover.tmp"
	mv "$cover.tmp" "$cover"
	echo "$n patches on $desc"
}

generate() {
	local out=$1

	make_series
	rm -rf "$out"
	mkdir -p "$out"
	g format-patch -q --cover-letter --thread=shallow -o "$out" base..series
	cover_letter "$out/0000-cover-letter.patch" >&2
}

# Apply the generated series to a clean base and compare with the tree
# that the kernel is built from.
check() {
	local tmp f bad=0 n

	tmp=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	"$TOP/scripts/prepare-tree.sh"
	generate "$tmp/series"
	g checkout -q -f base
	g clean -q -fdx
	g checkout -q -B am-check base
	n=0
	for f in "$tmp"/series/[0-9]*.patch; do
		case ${f##*/} in 0000-cover-letter.patch) continue ;; esac
		if ! g am -q "$f" 2>"$tmp/am.err"; then
			cat "$tmp/am.err" >&2
			g am --abort || true
			die "${f##*/} does not apply with git am"
		fi
		n=$((n + 1))
	done
	while read -r f; do
		if ! cmp -s "$GIT_DIR_BASE/$f" "$SRC/$f"; then
			echo "differs from the built tree: $f" >&2
			bad=1
		fi
	done < <(cat "$STATE/overlay.list" "$STATE/patched.list")
	[ "$bad" = 0 ] || die "the series does not reproduce the tree that is built"
	echo "$n patches apply with git am to $(base_description) and reproduce the built tree"
}

bisect() {
	local obj=$WORK/obj-bisect commits c i=0 n failed=0

	check
	commits=$(g rev-list --reverse base..am-check)
	n=$(wc -w <<<"$commits")
	for c in $commits; do
		i=$((i + 1))
		g checkout -q -f "$c"
		msg BISECT "$i/$n $(g log -1 --format=%s "$c")"
		mkdir -p "$obj"
		if (
			unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL
			make -C "$GIT_DIR_BASE" O="$obj" tinyconfig &&
				"$GIT_DIR_BASE/scripts/kconfig/merge_config.sh" -m -O "$obj" \
					"$obj/.config" "$TOP/configs/base.config" &&
				make -C "$GIT_DIR_BASE" O="$obj" olddefconfig &&
				make -C "$GIT_DIR_BASE" O="$obj" -j"$JOBS" bzImage
		) >"$WORK/bisect-$i.log" 2>&1; then
			echo "ok $i $(g log -1 --format=%s "$c")"
		else
			echo "not ok $i $(g log -1 --format=%s "$c") (log: ${WORK#"$TOP"/}/bisect-$i.log)"
			tail -n 20 "$WORK/bisect-$i.log" | sed 's/^/# /'
			failed=$((failed + 1))
		fi
	done
	grep -q '^CONFIG_CHECKPOINT=y' "$obj/.config" || {
		echo "not ok: CONFIG_CHECKPOINT is not set at the end of the series"
		failed=$((failed + 1))
	}
	g checkout -q -f base
	echo "$((n - failed)) of $n prefixes build"
	[ "$failed" = 0 ]
}

lock patches-git
case ${1:-generate} in
generate) generate "${2:-$TOP/out/patches}" && echo "written to ${2:-out/patches}/" ;;
check) check ;;
bisect) bisect ;;
*) die "usage: patches.sh generate [DIR] | check | bisect" ;;
esac
