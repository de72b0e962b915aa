#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bring the kernel tree up to date with this repository: extract Debian's
# linux-source-6.12 once (unless KDIR names a tree), copy our new files in
# and apply patches/series.
#
# Only files whose content changes are written, so that kbuild rebuilds
# what changed and nothing else.  Patches are not applied on top of the
# previous run's result: every file that the old or the new series touches
# is recomputed from its pristine copy (saved under $WORK/sync/pristine the
# first time it is touched), so editing, adding, reordering or removing a
# patch gives the same tree as a fresh extraction would.
#
# Touches $WORK/tree.stamp when anything in the tree changed, and
# $WORK/kconfig.stamp when a Kconfig file did.
#
# prepare-tree.sh --restore puts every file back as it was and forgets the
# tree (for `make distclean` of a KDIR tree).

. "$(dirname "$0")/lib.sh"

STATE=$WORK/sync
PRISTINE=$STATE/pristine
changed=0
kconfig_changed=0

extract_debian_tree() {
	local tmp=$BUILD/.extract.tmp

	[ -f "$DEB_TARBALL" ] || die "$DEB_TARBALL missing: run 'make deps'"
	msg EXTRACT "$DEB_TARBALL"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xJf "$DEB_TARBALL" -C "$tmp"
	mv "$tmp/$DEB_PACKAGE" "$SRC"
	rmdir "$tmp"
	# A new pristine tree: forget what was done to the old one.
	rm -rf "$STATE"
}

# put SRCFILE PATH: make $SRC/PATH a copy of SRCFILE if its content differs.
# The copy is renamed into place so that a half-written file is never seen.
put() {
	local from=$1 path=$2 dst=$SRC/$2

	cmp -s "$from" "$dst" && return 0
	mkdir -p "$(dirname "$dst")"
	cp "$from" "$dst.ckpt-tmp"
	mv -f "$dst.ckpt-tmp" "$dst"
	note_change "$path"
}

# remove PATH from the tree
remove() {
	[ -e "$SRC/$1" ] || return 0
	rm -f "$SRC/$1"
	# and the directories that only it kept
	rmdir -p --ignore-fail-on-non-empty "$(dirname "$SRC/$1")" 2>/dev/null || true
	note_change "$1"
}

note_change() {
	changed=1
	[ "$V" = 1 ] && msg SYNC "$1"
	case ${1##*/} in
	Kconfig*) kconfig_changed=1 ;;
	esac
	return 0
}

# Save the pristine state of PATH once: its content, or that it is absent.
# A path is saved before we first write it, so the tree still holds the
# original then.
save_pristine() {
	local path=$1

	grep -qxF -e "present $path" -e "absent $path" "$STATE/pristine.list" && return 0
	if [ -e "$SRC/$path" ]; then
		mkdir -p "$(dirname "$PRISTINE/$path")"
		cp -p "$SRC/$path" "$PRISTINE/$path"
		echo "present $path" >>"$STATE/pristine.list"
	else
		echo "absent $path" >>"$STATE/pristine.list"
	fi
}

# restore PATH to its pristine state
restore_pristine() {
	if grep -qxF "present $1" "$STATE/pristine.list"; then
		put "$PRISTINE/$1" "$1"
	else
		remove "$1"
	fi
}

sync_overlay() {
	local f new=$STATE/overlay.list.new

	list_overlay_files >"$new"
	while read -r f; do
		save_pristine "$f"
		put "$TOP/$f" "$f"
	done <"$new"
	# Files we copied before but that are gone from the repository.
	while read -r f; do
		restore_pristine "$f"
	done < <(comm -23 "$STATE/overlay.list" "$new")
	mv "$new" "$STATE/overlay.list"
}

# Entries of patches/series: one file name per line, '#' comments.
series_patches() {
	[ -f "$TOP/patches/series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]\+-p1[[:space:]]*$//' "$TOP/patches/series" |
		awk 'NF { print $1 }'
}

# Paths (relative to the tree) that a -p1 unified diff touches.
patch_paths() {
	awk '
	function strip(p) {
		sub(/\t.*/, "", p)
		sub(/^[^\/]*\//, "", p)
		return p
	}
	/^--- / {
		old = substr($0, 5)
		if ((getline line) <= 0)
			exit
		if (line !~ /^\+\+\+ /)
			next
		new = substr(line, 5)
		if (new !~ /^\/dev\/null/)
			print strip(new)
		else
			print strip(old)
	}' "$1"
}

sync_patches() {
	local p f stage=$STATE/stage new=$STATE/patched.list.new

	: >"$new"
	while read -r p; do
		[ -f "$TOP/patches/$p" ] || die "patches/series names $p, which does not exist"
		patch_paths "$TOP/patches/$p" >>"$new"
	done < <(series_patches)
	sort -u -o "$new" "$new"

	f=$(comm -12 "$new" "$STATE/overlay.list" | head -n 1)
	[ -z "$f" ] || die "patches/ must not change $f, which is one of our own files"

	# Pristine copies of everything the new series touches, patched.
	rm -rf "$stage"
	mkdir -p "$stage"
	while read -r f; do
		save_pristine "$f"
		if grep -qxF "present $f" "$STATE/pristine.list"; then
			mkdir -p "$(dirname "$stage/$f")"
			cp "$PRISTINE/$f" "$stage/$f"
		fi
	done <"$new"
	# git apply, not patch(1): it is what `git am` of the generated series
	# will do, so what builds here also applies there (no fuzz, and
	# asymmetric context is fine).  The ceiling keeps git from taking the
	# stage for a part of this repository.
	while read -r p; do
		if ! (cd "$stage" && GIT_CEILING_DIRECTORIES=$STATE \
			git apply -p1 --whitespace=nowarn "$TOP/patches/$p") \
			>"$STATE/patch.log" 2>&1; then
			cat "$STATE/patch.log" >&2
			die "patches/$p does not apply to $(base_description)" \
				"after the patches before it in patches/series"
		fi
	done < <(series_patches)

	while read -r f; do
		if [ -e "$stage/$f" ]; then
			put "$stage/$f" "$f"
		else
			remove "$f"	# deleted by a patch
		fi
	done <"$new"
	# Touched by the previous series only: back to pristine.
	while read -r f; do
		restore_pristine "$f"
	done < <(comm -23 "$STATE/patched.list" "$new")
	mv "$new" "$STATE/patched.list"
	rm -rf "$stage"
}

restore_all() {
	local f

	[ -f "$STATE/pristine.list" ] || return 0
	msg RESTORE "$SRC"
	while read -r _ f; do
		restore_pristine "$f"
	done <"$STATE/pristine.list"
	rm -rf "$STATE" "$WORK/tree.stamp" "$WORK/kconfig.stamp"
}

if [ "${1:-}" = --restore ]; then
	lock sync
	restore_all
	exit 0
fi

lock sync
if [ ! -d "$SRC" ]; then
	[ -z "${KDIR:-}" ] || die "KDIR=$KDIR is not a directory"
	extract_debian_tree
fi
[ -f "$SRC/Makefile" ] && [ -d "$SRC/kernel" ] || die "$SRC is not a kernel tree"
[ ! -e "$SRC/.config" ] || die "$SRC has a .config; out-of-tree builds need a clean tree ('make -C $SRC mrproper')"

if [ ! -f "$STATE/pristine.list" ]; then
	# First use of this tree: it must not have our files yet, or their
	# copies would be taken for pristine ones.
	for f in kernel/checkpoint include/uapi/linux/checkpoint.h; do
		[ ! -e "$SRC/$f" ] ||
			die "$SRC already has $f but no record of how it got there:" \
				"give a pristine 6.12 tree (or remove $WORK/ and re-extract)"
	done
fi
mkdir -p "$STATE" "$PRISTINE"
echo "$SRC" >"$WORK/srctree"
touch "$STATE/pristine.list" "$STATE/overlay.list" "$STATE/patched.list"

sync_overlay
sync_patches

if [ "$changed" = 1 ] || [ ! -e "$WORK/tree.stamp" ]; then
	touch "$WORK/tree.stamp"
fi
if [ "$kconfig_changed" = 1 ] || [ ! -e "$WORK/kconfig.stamp" ]; then
	touch "$WORK/kconfig.stamp"
fi
exit 0
