#!/usr/bin/env bash
# deps.sh - what `make test` needs on Debian, installed (root). README's
# second set-up command and .ci/run both run it, so that a missing package
# shows on a developer's machine as it would in CI.
#
#   clang, llvm          the BPF object; llvm-strip, llvm-readelf (make explain, tests)
#   libclang-rt-dev      the fuzzer's runtime (libFuzzer)
#   make gcc libc6-dev linux-libc-dev musl-tools   the binary (static, musl) and the unit tests
#   clang-format clang-tidy cppcheck               make lint
#   util-linux valgrind strace iproute2            setpriv, nsenter; valgrind runs; fault
#                                                  injection; network namespaces
#   gcc-*-linux-gnu*, libc6-dev-*-cross, qemu-user-static   the cross builds, their unit tests
#   musl-dev:<arch>      each cross target's musl (Multi-Arch; none for riscv64 in bookworm)
#   qemu-system-{x86,arm,mips,misc} cpio   the boot tests (seven architectures, three releases)
#   linux-source-6.1 flex bison bc         the OpenWrt-like kernels the boot tests build
#                                          (test/vm/kernel.sh; libelf-dev too)
#   prometheus (downloaded and unpacked, not installed)   promtool (test/metrics.sh)
#   libbpf-dev libelf-dev zlib1g-dev libzstd-dev bpftool nftables time
#                                                  the peers of the benchmarks; bpftool also
#                                                  checks what BTF gives (test/teach.sh)
# The foreign architectures are added for their musl-dev. (The boot tests
# fetch Debian's kernels and busybox through an apt state of their own,
# test/vm/boot.sh, and install nothing.)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
for arch in arm64 armhf s390x mipsel mips64el; do
	dpkg --add-architecture "$arch"
done
# A mirror in the middle of a sync fails one index now and then: try again.
for attempt in 1 2 3; do
	if apt-get update -qq; then break; fi
	echo "apt-get update failed (attempt $attempt of 3)" >&2
	[ "$attempt" = 3 ] || sleep 15
done
# promtool checks what status --prometheus writes (test/metrics.sh). It is
# unpacked from Debian's prometheus package, not installed: installing would
# start a Prometheus server. Without it the test checks by the grammar only.
promtool_dir=$HOME/.cache/cgroup-skb-egress/promtool
if [ ! -x "$promtool_dir/usr/bin/promtool" ]; then
	deb_dir=$(mktemp -d)
	for attempt in 1 2 3; do
		if (cd "$deb_dir" && apt-get download -qq prometheus >/dev/null 2>&1); then break; fi
		echo "apt-get download prometheus failed (attempt $attempt of 3)" >&2
		[ "$attempt" = 3 ] || sleep 10
	done
	for deb in "$deb_dir"/prometheus_*.deb; do
		if [ -f "$deb" ] && ! { mkdir -p "$promtool_dir" && dpkg-deb -x "$deb" "$promtool_dir"; }; then
			echo "unpacking $deb failed: test/metrics.sh checks by the grammar only" >&2
		fi
	done
	rm -rf "$deb_dir"
fi
packages=(
	ca-certificates clang llvm libclang-rt-dev make gcc libc6-dev linux-libc-dev musl-tools
	clang-format clang-tidy cppcheck util-linux valgrind strace iproute2 gcc-aarch64-linux-gnu
	gcc-arm-linux-gnueabihf gcc-s390x-linux-gnu gcc-mipsel-linux-gnu gcc-mips64el-linux-gnuabi64
	gcc-riscv64-linux-gnu libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-s390x-cross
	libc6-dev-mipsel-cross libc6-dev-mips64el-cross libc6-dev-riscv64-cross musl-dev:arm64
	musl-dev:armhf musl-dev:s390x musl-dev:mipsel musl-dev:mips64el qemu-user-static
	qemu-system-x86 qemu-system-arm qemu-system-mips qemu-system-misc cpio linux-source-6.1 flex bison bc
	libbpf-dev libelf-dev zlib1g-dev
	libzstd-dev bpftool nftables time
)
# An index that failed to come in makes a package "not found": update and try again.
for attempt in 1 2 3; do
	if apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; then exit 0; fi
	echo "apt-get install failed (attempt $attempt of 3)" >&2
	[ "$attempt" = 3 ] && exit 1
	sleep 15
	apt-get update -qq || true
done
