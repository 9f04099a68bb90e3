#!/usr/bin/env bash
# boot.sh - boot the tool in an initramfs on a stock Debian kernel, under
# qemu (TCG, no KVM), for each architecture whose pieces are here.
#
#   test/vm/boot.sh [ARCH...]      (arches: x86_64 aarch64 armhf s390x)
#
# For each: resolve the current kernel through Debian's metapackage, fetch
# it and busybox-static with `apt-get download` (into $VM_CACHE, kept
# between runs; never installed), unpack with dpkg -x, build a cpio
# initramfs of busybox, the static binary, the static test helper and
# test/vm/init, boot it with a hard timeout, and read the guest's RESULT
# lines: PASS or FAIL per check, and FAIL for every one that is missing.
set -u
cd "$(dirname "$0")/../.."
VM_CACHE=${VM_CACHE:-$HOME/.cache/cgroup-skb-egress/vm}
WORK=$(mktemp -d /tmp/cse-vm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "PASS vm $1"; }
bad() { failed=$((failed + 1)); echo "FAIL vm $1${2:+: $2}"; }

# The checks the guest must report, in order.
CHECKS="run-attaches run-blocks-127.0.0.2 run-passes-127.0.0.1 run-logs-the-drop run-logs-the-pass
run-exits-0-on-sigterm run-detached-on-exit block-exits-0 block-blocks-127.0.0.2 block-passes-127.0.0.1
list-counts-the-drop unblock-exits-0 unblock-lets-127.0.0.2-pass detach-exits-0
status-exit-3-after-detach done"

# arch: debian-arch kernel-metapackage build-dir qemu machine-args console
spec() {
	case $1 in
	x86_64) echo "amd64 linux-image-cloud-amd64 build qemu-system-x86_64 -M|pc ttyS0" ;;
	aarch64) echo "arm64 linux-image-cloud-arm64 build/aarch64-linux-gnu qemu-system-aarch64 -M|virt|-cpu|cortex-a57 ttyAMA0" ;;
	armhf) echo "armhf linux-image-armmp build/arm-linux-gnueabihf qemu-system-arm -M|virt ttyAMA0" ;;
	s390x) echo "s390x linux-image-s390x build/s390x-linux-gnu qemu-system-s390x -M|s390-ccw-virtio ttysclp0" ;;
	*) return 1 ;;
	esac
}

# fetch DEB-ARCH PACKAGE: unpack the newest PACKAGE (a metapackage's kernel) into the cache
fetch() {
	local arch=$1 pkg=$2 dir="$VM_CACHE/$1" real
	real=$(apt-cache depends "$pkg:$arch" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { sub(":.*", "", $2); print $2; exit }')
	real=${real:-$pkg}
	mkdir -p "$dir"
	if [ ! -f "$dir/$real.done" ]; then
		(cd "$dir" && apt-get download -q "$real:$arch" >/dev/null 2>"$WORK/apt.err") || {
			echo "    apt-get download $real:$arch: $(tail -1 "$WORK/apt.err")" >&2
			return 1
		}
		dpkg -x "$dir"/"${real}"_*.deb "$dir/root" && touch "$dir/$real.done"
	fi
	echo "$real"
}

boot() {
	local arch=$1 darch pkg build qemu margs console kernel root log got c line rc s
	if ! s=$(spec "$arch"); then
		bad "$arch" "unknown architecture: x86_64, aarch64, armhf or s390x"
		return
	fi
	read -r darch pkg build qemu margs console <<<"$s"
	# Foreign kernels come from the foreign architecture's package lists.
	if [ "$darch" != "$(dpkg --print-architecture)" ] &&
		! dpkg --print-foreign-architectures | grep -qx "$darch"; then
		echo "SKIPPED: vm $arch (dpkg --add-architecture $darch; apt-get update, to fetch its kernel)"
		[ "${CI:-}" = true ] && bad "$arch" "architecture $darch not added under CI=true"
		return
	fi
	if ! command -v "$qemu" >/dev/null; then
		echo "SKIPPED: vm $arch ($qemu is not installed)"
		[ "${CI:-}" = true ] && bad "$arch" "$qemu missing under CI=true"
		return
	fi
	if [ ! -x "$build/cgroup-skb-egress" ] || [ ! -x "$build/test/nethelper-static" ]; then
		bad "$arch" "$build/cgroup-skb-egress or its static test helper is not built (make cross)"
		return
	fi
	kpkg=$(fetch "$darch" "$pkg") || { bad "$arch: kernel" "cannot fetch $pkg:$darch"; return; }
	fetch "$darch" busybox-static >/dev/null || { bad "$arch: busybox" "cannot fetch busybox-static:$darch"; return; }
	# The kernel just resolved, not an older one the cache still holds.
	kernel=$(ls "$VM_CACHE/$darch/root/boot/vmlinu"[xz]-"${kpkg#linux-image-}" 2>/dev/null | head -1)
	[ -n "$kernel" ] || { bad "$arch: kernel" "no vmlinuz for $kpkg"; return; }
	root="$WORK/$arch-root"
	mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
	cp "$VM_CACHE/$darch/root/bin/busybox" "$root/bin/busybox"
	cp "$build/cgroup-skb-egress" "$root/bin/"
	cp "$build/test/nethelper-static" "$root/bin/nethelper"
	cp test/vm/init "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/$arch.cpio.gz"
	log="$WORK/$arch.console"
	local t0=$SECONDS
	IFS='|' read -r -a margs_a <<<"$margs"
	timeout -k 5 120 "$qemu" "${margs_a[@]}" -m 512 -smp 1 -nographic -no-reboot \
		-kernel "$kernel" -initrd "$WORK/$arch.cpio.gz" \
		-append "console=$console rdinit=/init panic=-1 quiet" </dev/null >"$log" 2>&1
	rc=$?
	mkdir -p build/vm && cp "$log" "build/vm/$arch.console"
	echo "    $arch: $(grep -a -o -m1 'RESULT kernel [^ ]*' "$log" | tr -d '\r' | cut -d' ' -f3) booted and checked in $((SECONDS - t0)) s (qemu exit $rc)"
	for c in $CHECKS; do
		line=$(grep -a -m1 "^RESULT $c " "$log" | tr -d '\r')
		case $line in
		*" ok") ok "$arch $c" ;;
		*" fail") bad "$arch $c" ;;
		*) bad "$arch $c" "no RESULT line (console: $(tr -d '\r' <"$log" | tail -n 3 | tr '\n' '|' | cut -c1-300))" ;;
		esac
	done
}

[ $# -gt 0 ] || set -- x86_64 aarch64 armhf s390x
for arch in "$@"; do
	boot "$arch"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
