#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kconfig.sh plain|debug: write $WORK/obj-<config>/.config from
# `make tinyconfig` plus our fragments, and fail unless every symbol the
# fragments ask for ended up with the value they ask for (merge_config.sh
# only warns, and a missing dependency silently drops a symbol).
#
#   plain: configs/base.config
#   debug: configs/base.config configs/debug.config
#
# An unchanged result keeps the old .config's timestamp, so regenerating
# costs kbuild nothing.

. "$(dirname "$0")/lib.sh"

config=${1:?usage: kconfig.sh plain|debug|other}
case $config in
plain) fragments=("$TOP/configs/base.config") ;;
debug) fragments=("$TOP/configs/base.config" "$TOP/configs/debug.config") ;;
other) fragments=("$TOP/configs/base.config" "$TOP/configs/other.config") ;;
*) die "unknown config '$config' (plain, debug or other)" ;;
esac

obj=$(obj_dir "$config")
mkdir -p "$obj"
log=$obj/kconfig.log
lock "obj-$config"

[ -f "$obj/.config" ] && cp -p "$obj/.config" "$obj/.config.prev"

msg KCONFIG "$config: tinyconfig + ${fragments[*]##*/}"
{
	make -C "$SRC" O="$obj" tinyconfig &&
		"$SRC/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${fragments[@]}" &&
		make -C "$SRC" O="$obj" olddefconfig
} >"$log" 2>&1 || {
	cat "$log" >&2
	die "generating the $config config failed"
}

# The value each fragment line asks for, the last fragment winning:
# "SYMBOL=value" lines, with "n" for "# CONFIG_X is not set".
requested() {
	sed -n -E \
		-e 's/^(CONFIG_[A-Za-z0-9_]+)=(.*)$/\1=\2/p' \
		-e 's/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1=n/p' "$@" |
		awk -F= '{ v[$1] = substr($0, length($1) + 2) } END { for (s in v) print s "=" v[s] }' |
		sort
}

bad=0
while IFS= read -r line; do
	sym=${line%%=*}
	want=${line#*=}
	got=$(sed -n -E "s/^$sym=(.*)$/\1/p" "$obj/.config")
	[ -n "$got" ] || got=n
	if [ "$got" != "$want" ]; then
		echo "  $sym: requested $want, got $got" >&2
		bad=1
	fi
done < <(requested "${fragments[@]}")

if [ "$bad" = 1 ]; then
	rm -f "$obj/.config.prev"
	mv "$obj/.config" "$obj/.config.rejected"
	die "the $config config lacks symbols the fragments ask for (see above;" \
		"'make -C $SRC O=$obj menuconfig' on .config.rejected shows their dependencies)"
fi

if [ -f "$obj/.config.prev" ]; then
	cmp -s "$obj/.config" "$obj/.config.prev" && touch -r "$obj/.config.prev" "$obj/.config"
	rm -f "$obj/.config.prev"
fi
exit 0
