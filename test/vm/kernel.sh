#!/usr/bin/env bash
# kernel.sh - build an OpenWrt-like kernel for the boot tests to boot beside
# Debian's: tinyconfig of Debian's linux-source-6.1, with
# test/vm/openwrt-like.config and test/vm/openwrt-like-ARCH.config merged
# over it (no BPF_EVENTS, no BPF JIT; on armhf no perf events at all).
#
#   test/vm/kernel.sh ARCH    ARCH: x86_64 or armhf. Prints the path of the
#                             image, building it first unless the cache
#                             holds one built from the same source and
#                             fragments
#
# The image is cached in $VM_CACHE/openwrt-like/, keyed by the checksum of
# the fragments, this script, the source tarball's size and date and the
# compiler's version, so that a change to any of them builds again. Each takes about 6 minutes on 2 cores. Needs
# linux-source-6.1, flex, bison, bc, libelf-dev and, for armhf,
# gcc-arm-linux-gnueabihf (test/deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
VM_CACHE=${VM_CACHE:-$HOME/.cache/cgroup-skb-egress/vm}
SRC=/usr/src/linux-source-6.1.tar.xz
arch=${1:-}
case $arch in
x86_64) karch=x86_64 cross="" image=arch/x86/boot/bzImage ;;
armhf) karch=arm cross=arm-linux-gnueabihf- image=arch/arm/boot/zImage ;;
*)
	echo "usage: test/vm/kernel.sh x86_64|armhf" >&2
	exit 2
	;;
esac
fragments=("$PWD/test/vm/openwrt-like.config" "$PWD/test/vm/openwrt-like-$arch.config")
[ -r "$SRC" ] || {
	echo "kernel.sh: $SRC is missing: apt-get install linux-source-6.1" >&2
	exit 1
}
# The fragments, this script's build steps, the source and the compiler make the key.
key=$( (cat "${fragments[@]}" "$0" && stat -c '%s %Y' "$SRC" && "${cross}gcc" --version) |
	sha256sum | cut -c1-16)
out="$VM_CACHE/openwrt-like/$arch-$key"
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$VM_CACHE/openwrt-like"
tree=$(mktemp -d "$VM_CACHE/openwrt-like/build.XXXXXX")
trap 'rm -rf "$tree"' EXIT
log="$VM_CACHE/openwrt-like/build-$arch.log"
kmake() { make -C "$tree" -s ARCH="$karch" CROSS_COMPILE="$cross" "$@"; }
# merge_config's -m does not check: see that each setting took.
settings_taken() {
	local line opt
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*) grep -qxF "$line" "$tree/.config" || { echo "not taken: $line"; return 1; } ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }
			opt=${opt%% *}
			! grep -q "^$opt=" "$tree/.config" || { echo "still set: $opt"; return 1; } ;;
		esac
	done < <(cat "${fragments[@]}")
}
build() {
	tar -xf "$SRC" -C "$tree" --strip-components=1 &&
		kmake tinyconfig &&
		"$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "${fragments[@]}" &&
		kmake olddefconfig && settings_taken &&
		kmake -j"$(nproc)" "$(basename "$image")"
}
build >"$log" 2>&1 || {
	echo "kernel.sh: building the OpenWrt-like $arch kernel failed; the last lines of $log:" >&2
	tail -n 15 "$log" >&2
	exit 1
}
# Under a name of this build's own, then renamed: a run beside this one sees all or nothing.
cp "$tree/$image" "$tree/image.done"
cp "$tree/.config" "$out.config"
mv "$tree/image.done" "$out"
echo "$out"
