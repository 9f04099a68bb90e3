#!/usr/bin/env bash
# boot.sh - boot the tool in an initramfs on Debian's stock kernels, under
# qemu (TCG, no KVM), for each architecture and each Debian release that
# ships a kernel for it.
#
#   test/vm/boot.sh [ARCH[:SUITE]...]
#       ARCH: x86_64 aarch64 armhf s390x mipsel mips64el riscv64
#       SUITE: bullseye (5.10), bookworm (6.1), trixie (6.12); all that ship
#       one when left out; and for x86_64 and armhf openwrt-like, a 6.1
#       kernel built here the way OpenWrt builds its own (test/vm/kernel.sh:
#       no BPF_EVENTS, no BPF JIT; on armhf no perf events), with bookworm's
#       busybox
#
# For each: resolve the suite's current kernel through Debian's
# metapackage, fetch it and busybox-static with `apt-get download` through
# a private apt state (in $VM_CACHE, kept between runs; the machine's own
# package sources and lists are never touched, nothing is installed),
# unpack what is needed, build a cpio initramfs of busybox, the static
# binary, the static test helper and test/vm/init, boot it with a hard
# timeout, and read the guest's RESULT lines: PASS or FAIL per check, and
# FAIL for every one that is missing.
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
CHECKS="check-exits-0 check-says-blocking-works check-proves-the-program check-names-the-events-way run-attaches run-blocks-127.0.0.2 run-passes-127.0.0.1 run-logs-the-drop run-logs-the-pass
run-exits-0-on-sigterm run-detached-on-exit block-exits-0 block-blocks-127.0.0.2 block-passes-127.0.0.1
list-counts-the-drop unblock-exits-0 unblock-lets-127.0.0.2-pass prefix-blocks-127.0.0.2
prefix-counts-the-drops allow-prefix-lets-127.0.0.2-through allow-counts-the-pass
default-deny-drops-what-is-not-allowed default-deny-counts-it packet-access-auto-reads-directly
packet-access-helper-blocks detach-exits-0
status-exit-3-after-detach done"

# Which releases ship a kernel for each architecture: bullseye's LTS keeps
# only amd64, arm64 and armhf; mipsel and mips64el end with bookworm;
# riscv64 begins with trixie. trixie's s390x kernel is left out: on
# 2026-12-05 the mirror listed linux-image-6.12.117+deb13-s390x and
# answered 404 for it, again and again (`test/vm/boot.sh s390x:trixie`
# tries it).
suites() {
	case $1 in
	x86_64 | armhf) echo "bullseye bookworm trixie openwrt-like" ;;
	aarch64) echo "bullseye bookworm trixie" ;;
	s390x) echo "bookworm" ;;
	mipsel | mips64el) echo "bookworm" ;;
	riscv64) echo "trixie" ;;
	esac
}

# arch: debian-arch kernel-metapackage build-dir qemu machine-args console kernel-file
spec() {
	case $1 in
	x86_64) echo "amd64 linux-image-cloud-amd64 build qemu-system-x86_64 -M|pc ttyS0 vmlinuz" ;;
	aarch64) echo "arm64 linux-image-cloud-arm64 build/aarch64-linux-gnu qemu-system-aarch64 -M|virt|-cpu|cortex-a57 ttyAMA0 vmlinuz" ;;
	armhf) echo "armhf linux-image-armmp build/arm-linux-gnueabihf qemu-system-arm -M|virt ttyAMA0 vmlinuz" ;;
	s390x) echo "s390x linux-image-s390x build/s390x-linux-gnu qemu-system-s390x -M|s390-ccw-virtio ttysclp0 vmlinuz" ;;
	mipsel) echo "mipsel linux-image-4kc-malta build/mipsel-linux-gnu qemu-system-mipsel -M|malta ttyS0 vmlinuz" ;;
	mips64el) echo "mips64el linux-image-5kc-malta build/mips64el-linux-gnuabi64 qemu-system-mips64el -M|malta|-cpu|5KEc ttyS0 vmlinuz" ;;
	riscv64) echo "riscv64 linux-image-riscv64 build/riscv64-linux-gnu qemu-system-riscv64 -M|virt ttyS0 vmlinux" ;;
	*) return 1 ;;
	esac
}

# The Debian mirror the machine uses, for the private apt state.
mirror() {
	local uri
	uri=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
		/etc/apt/sources.list 2>/dev/null)
	echo "${uri:-http://deb.debian.org/debian}"
}

# A private apt state for SUITE (lists and downloads under $VM_CACHE/apt): the
# options every apt call for that suite takes, in the array apt_opts.
apt_state() {
	local suite=$1 dir="$VM_CACHE/apt/$1" arch
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "deb $(mirror) $suite main" >"$dir/sources.list"
	apt_opts=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o "Dir::State::status=/dev/null" -o "APT::Sandbox::User=root"
		-o "APT::Architecture=$(dpkg --print-architecture)")
	for arch in amd64 arm64 armhf s390x mipsel mips64el riscv64; do
		apt_opts+=(-o "APT::Architectures::=$arch")
	done
}

# Update SUITE's lists once per run. A mirror in the middle of a sync fails
# one file now and then: try again, then say which.
declare -A updated
update_suite() {
	local suite=$1 attempt
	[ -n "${updated[$suite]:-}" ] && return "${updated[$suite]}"
	apt_state "$suite"
	for attempt in 1 2 3; do
		if apt-get -q "${apt_opts[@]}" update >"$WORK/update-$suite.log" 2>&1 &&
			! grep -q '^[WE]:' "$WORK/update-$suite.log"; then
			updated[$suite]=0
			return 0
		fi
		[ "$attempt" = 3 ] || sleep 10
	done
	echo "    apt-get update of $suite: $(grep -m1 '^[WE]:' "$WORK/update-$suite.log")" >&2
	# Lists that came in may still serve.
	updated[$suite]=0
	return 0
}

# fetch SUITE DEB-ARCH PACKAGE WHAT: download the newest PACKAGE (a
# metapackage's kernel) and unpack WHAT of it (./boot, ./bin, ./usr/bin)
# into $VM_CACHE/SUITE/DEB-ARCH/root; prints the package it resolved to.
fetch() {
	local suite=$1 arch=$2 pkg=$3 what=$4 dir="$VM_CACHE/$1/$2" real attempt deb
	apt_state "$suite"
	real=$(apt-cache "${apt_opts[@]}" depends "$pkg:$arch" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { sub(":.*", "", $2); print $2; exit }')
	real=${real:-$pkg}
	mkdir -p "$dir/root"
	if [ ! -f "$dir/$real.done" ]; then
		for attempt in 1 2 3; do
			(cd "$dir" && apt-get -q "${apt_opts[@]}" download "$real:$arch" >/dev/null 2>"$WORK/apt.err") && break
			[ "$attempt" = 3 ] && {
				echo "    apt-get download $real:$arch from $suite: $(tail -1 "$WORK/apt.err")" >&2
				return 1
			}
			sleep 10
		done
		deb=$(ls "$dir"/"${real}"_*.deb | head -1)
		# Only what the guest needs: a kernel package's modules are hundreds of MB.
		if ! dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/root" --wildcards "$what" 2>"$WORK/tar.err" ||
			[ "${PIPESTATUS[0]}" != 0 ]; then
			echo "    unpacking $deb: $(tail -1 "$WORK/tar.err")" >&2
			rm -f "$deb"
			return 1
		fi
		rm -f "$deb"
		touch "$dir/$real.done"
	fi
	echo "$real"
}

info() { grep -a -m1 "^INFO $1 " "$log" | tr -d '\r' | cut -d' ' -f3-; }

boot() {
	local arch=$1 suite=$2 darch pkg build qemu margs console kfile kernel busybox root log c line rc s kpkg
	local name="$arch $suite"
	if ! s=$(spec "$arch"); then
		bad "$arch" "unknown architecture: x86_64, aarch64, armhf, s390x, mipsel, mips64el or riscv64"
		return
	fi
	read -r darch pkg build qemu margs console kfile <<<"$s"
	if ! command -v "$qemu" >/dev/null; then
		echo "SKIPPED: vm $name ($qemu is not installed)"
		[ "${CI:-}" = true ] && bad "$name" "$qemu missing under CI=true"
		return
	fi
	if [ ! -x "$build/cgroup-skb-egress" ] || [ ! -x "$build/test/nethelper-static" ]; then
		bad "$name" "$build/cgroup-skb-egress or its static test helper is not built (make cross)"
		return
	fi
	local userland=$suite append=""
	if [ "$suite" = openwrt-like ]; then
		userland=bookworm
		append=" cse.reboot"
		kernel=$(VM_CACHE=$VM_CACHE test/vm/kernel.sh "$arch") || {
			bad "$name: kernel" "test/vm/kernel.sh failed"
			return
		}
		update_suite "$userland"
	else
		update_suite "$suite"
		kpkg=$(fetch "$suite" "$darch" "$pkg" './boot/*') || {
			bad "$name: kernel" "cannot fetch $pkg:$darch from $suite"
			return
		}
		# The kernel just resolved, not an older one the cache still holds.
		kernel=$(ls "$VM_CACHE/$suite/$darch/root/boot/$kfile"-"${kpkg#linux-image-}" 2>/dev/null | head -1)
		[ -n "$kernel" ] || { bad "$name: kernel" "no $kfile for $kpkg"; return; }
	fi
	fetch "$userland" "$darch" busybox-static '*bin/busybox' >/dev/null || {
		bad "$name: busybox" "cannot fetch busybox-static:$darch from $userland"
		return
	}
	busybox=$(ls "$VM_CACHE/$userland/$darch/root/bin/busybox" "$VM_CACHE/$userland/$darch/root/usr/bin/busybox" 2>/dev/null | head -1)
	[ -n "$busybox" ] || { bad "$name: busybox" "no busybox in busybox-static:$darch"; return; }
	root="$WORK/$arch-$suite-root"
	mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
	cp "$busybox" "$root/bin/busybox"
	cp "$build/cgroup-skb-egress" "$root/bin/"
	cp "$build/test/nethelper-static" "$root/bin/nethelper"
	cp test/vm/init "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/$arch-$suite.cpio.gz"
	log="$WORK/$arch-$suite.console"
	local t0=$SECONDS
	IFS='|' read -r -a margs_a <<<"$margs"
	timeout -k 5 180 "$qemu" "${margs_a[@]}" -m 512 -smp 1 -nographic -no-reboot \
		-kernel "$kernel" -initrd "$WORK/$arch-$suite.cpio.gz" \
		-append "console=$console rdinit=/init panic=-1 quiet$append" </dev/null >"$log" 2>&1
	rc=$?
	mkdir -p build/vm && cp "$log" "build/vm/$arch-$suite.console"
	echo "    $name: $(grep -a -o -m1 'RESULT kernel [^ ]*' "$log" | tr -d '\r' | cut -d' ' -f3) booted and checked in $((SECONDS - t0)) s (qemu exit $rc)"
	echo "    $name: check: $(grep -a -m1 '^# check: blocking' "$log" | tr -d '\r' | cut -c10-)"
	echo "    $name: perf events $(info perf), events through $(info events), BPF JIT $(info jit), program $(info cost) per packet (BPF_PROG_TEST_RUN under TCG)"
	for c in $CHECKS; do
		line=$(grep -a -m1 "^RESULT $c " "$log" | tr -d '\r')
		case $line in
		*" ok") ok "$name $c" ;;
		*" fail") bad "$name $c" ;;
		*) bad "$name $c" "no RESULT line (console: $(tr -d '\r' <"$log" | tail -n 3 | tr '\n' '|' | cut -c1-300))" ;;
		esac
	done
}

[ $# -gt 0 ] || set -- x86_64 aarch64 armhf s390x mipsel mips64el riscv64
for want in "$@"; do
	arch=${want%%:*}
	if [ "$want" != "$arch" ]; then
		boot "$arch" "${want#*:}"
		continue
	fi
	for suite in $(suites "$arch"); do
		boot "$arch" "$suite"
	done
	[ -n "$(suites "$arch")" ] || bad "$arch" "unknown architecture"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
