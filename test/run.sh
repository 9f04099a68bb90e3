#!/usr/bin/env bash
# run.sh - every test of cgroup-skb-egress; `make test` runs it.
#
#   1. unit tests (no root): ELF reader, perf ring reader, CPU lists, addresses
#   2. command-line tests (no root): help, exit codes, bad input refused early
#   3. end-to-end tests (root, real kernel): a throwaway cgroup under the
#      cgroup2 mount, loopback servers on 127.0.0.1 and 127.0.0.2, clients
#      started inside the cgroup, the tool attached and detached for real
#
# Packets go only to 127.0.0.0/8. Every cgroup and process made here is
# removed at exit, processes by PID. Without root the end-to-end tests print
# SKIPPED; under CI=true a skip counts as a failure.
#
# The last line is "N passed, N failed"; the exit status is 1 if any failed.
set -u
cd "$(dirname "$0")/.."

BIN=build/cgroup-skb-egress
OBJ=build/prog.bpf.o
HELPER=build/test/nethelper
TMP=$(mktemp -d /tmp/cse-test.XXXXXX)
passed=0
failed=0
pids=()
cgroups=()
netns=()
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)

# shellcheck source=test/lib.sh
. test/lib.sh
trap cleanup EXIT

# ---- 1. unit tests ------------------------------------------------------------
run_counted "unit tests" build/test/unit "$OBJ"
# The same tests built with the binary's C library (musl), when it is not glibc.
if [ -x build/test/unit-static ]; then
	TAG="[musl] " run_counted "unit tests (musl)" build/test/unit-static "$OBJ"
fi

# The cross builds (make cross): each binary is a static, stripped ELF for its
# machine with a BPF object of its byte order inside; its unit tests pass
# under qemu-user, and the binary itself parses a command line there.
cross_check() { # TRIPLET CLASS DATA MACHINE QEMU LIBC
	local t=$1 class=$2 data=$3 machine=$4 qemu=$5 libc=$6 bin=build/$1/cgroup-skb-egress hdr
	if [ ! -x "$bin" ]; then
		echo "SKIPPED: cross build for $t ($t-gcc is not installed)"
		[ "${CI:-}" = true ] && bad "cross $t" "not built under CI=true (.ci/run installs the cross compilers)"
		return
	fi
	hdr=$(readelf -h "$bin")
	check "cross $t: ELF $class, $data, $machine" \
		eval 'grep -q "Class: *$class" <<<"$hdr" && grep -q "Data: *.*$data" <<<"$hdr" && grep -q "Machine: *$machine" <<<"$hdr"'
	check "cross $t: static (no interpreter, no dynamic section)" \
		eval '! readelf -l "$bin" | grep -q INTERP && ! readelf -d "$bin" 2>/dev/null | grep -q NEEDED'
	check "cross $t: stripped" eval '! readelf -S "$bin" | grep -q "\.symtab"'
	check "cross $t: its BPF object is $data too" grep -q "Data: *.*$data" <(readelf -h "build/$t/prog.bpf.o")
	# musl wherever Debian ships it for the target (musl-dev:<arch>), and then
	# the cross budget (docs/size.md): 176 KiB, x86_64's 128 KiB times 1.375,
	# MIPS64's code size against x86_64's for the same source, so that what
	# fits x86_64's budget fits every target. glibc leaves its symbol
	# versions (GLIBC_) in a static binary.
	if [ "$libc" = musl ]; then
		check "cross $t: linked with musl, at most 176 KiB" \
			eval '! grep -q GLIBC_ "$bin" && BIN=$bin BUDGET=180224 size_budget'
	else
		check "cross $t: static glibc (Debian has no musl for it)" grep -q GLIBC_ "$bin"
	fi
	if command -v "$qemu" >/dev/null; then
		TAG="[$t] " run_counted "unit tests ($t, $qemu)" "$qemu" "build/$t/test/unit-static" "build/$t/prog.bpf.o"
		check "cross $t: --help runs under $qemu" grep -q "^Usage:" <("$qemu" "$bin" --help)
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$qemu" "$PWD/$bin" >"$TMP/under-qemu"
		chmod +x "$TMP/under-qemu"
		BIN=$TMP/under-qemu expect_exit "cross $t: a bad prefix is exit 2 under $qemu" 2 \
			"the network is 10.0.0.0/8" -- -c /nonexistent -b 10.0.0.1/8
	else
		echo "SKIPPED: unit tests for $t ($qemu is not installed)"
		[ "${CI:-}" = true ] && bad "cross $t under qemu" "$qemu missing under CI=true"
	fi
}
# The size budget: the x86_64 musl binary, stripped, object and teaching
# layer included, fits in 128 KiB (docs/size.md). Every target's size is
# printed for the table.
size_budget() {
	local size budget=${BUDGET:-131072}
	size=$(stat -c %s "$BIN")
	echo "    $BIN: $size bytes, budget $budget"
	[ "$size" -le "$budget" ]
}
# (make builds with musl-gcc whenever it is installed.)
if [ "$(uname -m)" = x86_64 ] && command -v musl-gcc >/dev/null; then
	check "size: the x86_64 musl binary is at most 128 KiB" size_budget
else
	echo "SKIPPED: the 128 KiB size budget (needs x86_64 and musl-gcc)"
	[ "${CI:-}" = true ] && bad "size budget" "not checked under CI=true (.ci/run installs musl-tools)"
fi
# The spine's promise: calls between the tool's files run one way, from
# loader.c down; nothing below calls back up (test/callgraph.sh).
mapfile -t tool_sources < <(ls *.c | grep -v '\.bpf\.c$')
check "the calls between files run one way, down from loader.c (no loop)" \
	bash test/callgraph.sh "${tool_sources[@]}"
for b in build/*-linux-gnu*/cgroup-skb-egress; do
	[ -x "$b" ] && echo "size: $b: $(stat -c %s "$b") bytes"
done
cross_check aarch64-linux-gnu ELF64 "little endian" AArch64 qemu-aarch64-static musl
cross_check arm-linux-gnueabihf ELF32 "little endian" ARM qemu-arm-static musl
cross_check s390x-linux-gnu ELF64 "big endian" "IBM S/390" qemu-s390x-static musl
cross_check mipsel-linux-gnu ELF32 "little endian" "MIPS R3000" qemu-mipsel-static musl
cross_check mips64el-linux-gnuabi64 ELF64 "little endian" "MIPS R3000" qemu-mips64el-static musl
# bookworm has no musl-dev:riscv64 (riscv64 is a release architecture from trixie on).
cross_check riscv64-linux-gnu ELF64 "little endian" RISC-V qemu-riscv64-static glibc

# Boot tests: the static binaries in an initramfs on Debian's stock kernels
# of bullseye, bookworm and trixie, under qemu (TCG), on seven architectures,
# and on two OpenWrt-like kernels built here (test/vm/boot.sh). 15 guests of
# up to 180 s each; on an empty cache about 40 s of downloading and
# unpacking apiece, and 6 to 12 minutes to build each OpenWrt-like kernel.
RUN_TIMEOUT=2700 run_counted "vm boot tests" bash test/vm/boot.sh

# Every input the fuzzer ever tripped on, and the seed corpus, through the
# fuzz target's checks (built with gcc, ASan and UBSan).
inputs=(build/fuzz/seeds/*.o)
for f in test/fuzz-regressions/*; do [ -f "$f" ] && [ "${f##*/}" != .keep ] && inputs+=("$f"); done
run_counted "fuzz replay" build/test/fuzz_replay "${inputs[@]}"
echo "fuzz replay: ${#inputs[@]} inputs"

VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=all --suppressions=$PWD/test/valgrind.supp"
if command -v valgrind >/dev/null; then
	if timeout -k 5 600 $VALGRIND build/vg/unit "$OBJ" >"$TMP/vg-unit.out" 2>&1; then
		ok "unit tests under valgrind"
	else
		bad "unit tests under valgrind" "$(grep -v '^PASS' "$TMP/vg-unit.out" | head -c 800)"
	fi
elif [ "${CI:-}" = true ]; then
	bad "valgrind" "not installed (.ci/run installs it)"
else
	echo "SKIPPED: valgrind runs (valgrind is not installed)"
fi


expect_exit "cli --help" 0 "Exit status: 0 ok, 1 system failure" -- --help
expect_exit "cli --version" 0 "cgroup-skb-egress [0-9]" -- -V
for a in 1.1.1 256.1.1.1 abc 0177.0.0.1 "" 2001:db8:::1 12345:: "1.2.3.4 "; do
	expect_exit "cli rejects address '$a'" 2 "'$a' is not an IPv4 or IPv6 address or prefix" -- -c /nonexistent -b "$a"
done
expect_exit "cli rejects host bits beyond the prefix, naming the network" 2 \
	"'10.0.0.1/8' has bits set beyond the /8 prefix: the network is 10.0.0.0/8" -- -c /nonexistent -b 10.0.0.1/8
expect_exit "cli rejects an IPv6 prefix with host bits" 2 "the network is 2001:db8::/32" -- -c /nonexistent -b 2001:db8::1/32
expect_exit "cli rejects /33" 2 "the prefix length must be a number from 0 to 32" -- -c /nonexistent -b 10.0.0.0/33
expect_exit "cli rejects a zone id" 2 "zone ids have no meaning" -- -c /nonexistent -b fe80::1%lo
expect_exit "cli rejects an unknown option" 2 "unknown option '--frobnicate'; see 'cgroup-skb-egress --help'" -- --frobnicate
expect_exit "cli rejects a stray argument" 2 "unexpected argument 'extra'" -- -b 1.2.3.4 extra
expect_exit "cli: an option without its value" 2 "option '--log' needs a value; see 'cgroup-skb-egress log --help'" -- log --log
expect_exit "cli: no abbreviations of long options" 2 "unknown option '--cgroup'" -- status --cgroup /x
expect_exit "cli: a flag given a value" 2 "unknown option '--json=1'" -- status --json=1
expect_exit "cli: --name=VALUE and -xVALUE forms" 2 "opening cgroup $TMP/nope: No such file" -- status --json -c"$TMP/nope"
expect_exit "cli: --name=VALUE form" 2 "option --ring-pages: 3 is not a power of 2" -- --ring-pages=3
expect_exit "cli: after --, a dash word is an address" 2 "'-1.2.3.4' is not an IPv4" -- block -c /x -- -1.2.3.4
expect_exit "cli rejects a bad attach mode" 2 "--attach-mode: 'both'" -- --attach-mode both
expect_exit "cli rejects ring pages not a power of 2" 2 "not a power of 2" -- --ring-pages 3
expect_exit "cli rejects a missing object" 2 "opening BPF object $TMP/none.o: No such file" -- --object "$TMP/none.o"
expect_exit "cli rejects a directory as object" 2 "not a regular file" -- --object /
printf 'not an ELF file at all, just text long enough for a header......' >"$TMP/text.o"
truncate -s 17M "$TMP/huge.o"
expect_exit "cli rejects an object over 16 MiB" 2 "not a regular file of 1 to 16777216 bytes" -- --object "$TMP/huge.o"
expect_exit "cli rejects a non-ELF object" 2 "$TMP/text.o: ELF header: bad magic" -- --object "$TMP/text.o"
host_order=$([ "$(printf '\1' | od -An -tu2 | tr -d ' ')" = 1 ] && echo bpfel || echo bpfeb)
expect_exit "cli rejects an object of the other byte order" 2 "rebuild with -target $host_order" -- --object build/test/prog.other-endian.o
expect_exit "cli rejects an object whose program leaves a map unused (detach could not find it)" 2 \
	"build/bench/prog-notrie.bpf.o: the program must use exactly the maps BLOCKLIST_A, BLOCKNETS_A, BLOCKLIST_B, BLOCKNETS_B, ACTIVE, CONFIG and EVENTS" -- \
	status -c /nonexistent --object build/bench/prog-notrie.bpf.o
expect_exit "cli rejects a missing cgroup" 2 "opening cgroup $TMP/nope: No such file or directory; pass a cgroup v2 directory with -c (cgroup2 is mounted at" -- -c "$TMP/nope"
expect_exit "cli rejects a file as cgroup" 2 "opening cgroup $TMP/text.o: Not a directory" -- -c "$TMP/text.o"
expect_exit "cli: the binary documents -v" 0 \
	"-v, --verbose           print each step the loader takes" -- --help
expect_exit "cli rejects a directory outside cgroupfs" 2 "cgroup $TMP: is not a cgroup v2 directory; cgroup2 is mounted at" -- -c "$TMP"

# make install puts the binary and the man page where PREFIX and DESTDIR say.
make -s install DESTDIR="$TMP/root" PREFIX=/usr >/dev/null
check "make install: binary and man page under DESTDIR/PREFIX" \
	test -x "$TMP/root/usr/sbin/cgroup-skb-egress" -a -f "$TMP/root/usr/share/man/man8/cgroup-skb-egress.8"
# Every --option of --help, written the man page's way (\-\-option).
man_covers_help() {
	local opt missing=""
	for opt in $("$BIN" --help | grep -o -- "--[a-z-]*" | sort -u); do
		grep -qF -- "$(printf '%s' "$opt" | sed 's/-/\\-/g')" cgroup-skb-egress.8 || missing="$missing $opt"
	done
	[ -z "$missing" ] || echo "    missing from cgroup-skb-egress.8:$missing"
	[ -z "$missing" ]
}
check "the man page documents every option of --help" man_covers_help
# make explain shows the object from outside: each map relocation, and the
# ld_imm64 ("r1 = 0 ll") it lands on.
explain_shows_relocations() {
	local out
	out=$(make -s explain 2>&1)
	grep -q "R_BPF_64_64 .* BLOCKLIST" <<<"$out" && grep -q "r1 = 0 ll" <<<"$out" &&
		[ "$(grep -c 'R_BPF_64_64' <<<"$out")" -ge 4 ]
}
check "make explain: the map relocations and the ld_imm64 they land on" explain_shows_relocations
# The load-time constant (prog.bpf.c, direct_access()) spares a verifier
# before 5.2 the direct reads only if it knows the register's value where
# the program branches on it, and a verifier before 5.3 forgets a value
# spilled to the stack. So in each program: one `rN = 1562298349`; the next
# instruction that names rN is `if rN == 0` (or !=); nothing between them
# stores rN to the stack or reads skb->data (ctx + 76). In file order: the
# IPv4 path's test, which the IPv6 path's branch leaves from.
mark_stays_in_register() {
	llvm-objdump -d --no-show-raw-insn "$OBJ" | awk '
		function done() { if (sec != "" && (marks != 1 || !tested || bad_use)) failed = failed " " sec }
		/^Disassembly of section/ { done(); sec = $4; marks = 0; reg = ""; tested = 0; bad_use = 0; next }
		/= 1562298349$/ { marks++; reg = $2; next }
		reg == "" || tested { next }
		$0 ~ ("if " reg " [=!]= 0 goto") { tested = 1; next }
		/\(r10 [-+] ?[0-9]+\) = / && $NF == reg { bad_use = 1 }
		$0 ~ ("[ (]" reg "[ )]") || $NF == reg || /\+ 76\)/ { bad_use = 1 }
		END { done(); if (failed != "") { print "    the mark is not a clean constant in:" failed; exit 1 } }'
}
check "the load-time constant: one per program, tested against 0 before any other use, never spilled" \
	mark_stays_in_register
# text.c formats what the tool prints and knows less than printf: flags -
# and 0, a width, a precision, hh h l ll z, and d i u x X c s %. gcc's
# format check passes the rest (%#x, %p, %f), which text.c prints as %?,
# taking the arguments out of step after it. So every format string given
# to report(), trace(), text_format() and their kin must keep to that.
formats_known() {
	perl -ne '
		$in = 1 if /\b(report|trace|text_v?format|text_v?printf|preflight_add|fail|set_error)\s*\(/;
		if ($in && !m{^\s*(\*|/\*|//)}) {
			while (/"((?:[^"\\]|\\.)*)"/g) {
				my $s = $1;
				while ($s =~ /%(?![-0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:(?:hh|h|ll|l|z)?[diuxXcs%]|$))(.{0,3})/g) {
					print "    $ARGV:$.: %$1 in \"$s\"\n";
					$bad = 1;
				}
			}
		}
		$in = 0 if /\);\s*$/ || /^\s*}/;
		close ARGV if eof;
		END { exit($bad ? 1 : 0) }' "$@"
}
# shellcheck disable=SC2046 # one word per file
check "every format string keeps to the conversions text.c knows" \
	formats_known $(ls ./*.c | grep -v '/text.c$\|/prog.bpf.c$')
printf 'void f(void) { trace(1, "a %%#x b", 3); }\n' >"$TMP/badfmt.c"
check "... and the check finds one that does not" eval '! formats_known "$TMP/badfmt.c" >/dev/null'

# ---- 3. end to end (test/e2e.sh), faults (test/faults.sh) ----------------------
skip_reason=""
if [ "$(id -u)" -ne 0 ]; then
	skip_reason="not root"
elif [ -z "$CG2" ]; then
	skip_reason="cgroup2 is not mounted"
fi
if [ -n "$skip_reason" ]; then
	echo "**********************************************************************"
	echo "SKIPPED: end-to-end tests ($skip_reason); run 'make test' as root"
	echo "**********************************************************************"
	if [ "${CI:-}" = true ]; then
		bad "end-to-end tests" "skipped under CI=true: $skip_reason"
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

# shellcheck source=test/e2e.sh
. test/e2e.sh
# shellcheck source=test/faults.sh
. test/faults.sh
# shellcheck source=test/switch_faults.sh
. test/switch_faults.sh
# The teaching layer: the trace, BTF, source lines.
EMBEDDED=build/prog.embed.o
# shellcheck source=test/teach.sh
. test/teach.sh
# The end-to-end tests again, on the loader built with ASan and UBSan (any
# report makes an exit status wrong). Leak checking is valgrind's job:
# LeakSanitizer's stop-the-world tracer once spun forever at exit on this
# kernel (2026-11-28), which no test run should risk.
BIN_STATIC=$BIN
BIN=build/asan/cgroup-skb-egress
export ASAN_OPTIONS=exitcode=86:detect_leaks=0 UBSAN_OPTIONS=exitcode=87
TAG="[asan] "
new_cgroup
# shellcheck source=test/e2e.sh
. test/e2e.sh
EMBEDDED=build/prog.bpf.o
# shellcheck source=test/teach.sh
. test/teach.sh
TAG=""
BIN=$BIN_STATIC

# Leave nothing behind: stop the servers, remove the cgroups, and check.
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
for c in "${cgroups[@]}"; do rmdir "$c" 2>/dev/null; done
check "e2e cleanup: no test cgroup left" test -z "$(ls -d "$CG2"/cse-test-$$-* 2>/dev/null)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
