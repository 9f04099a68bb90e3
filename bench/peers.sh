#!/usr/bin/env bash
# peers.sh - the one-shot `block` against the usual ways to do the same (root):
#
#   ours     cgroup-skb-egress block
#   libbpf   bench/peer/libbpf_block.c: libbpf 1.x, linked statically
#   bpftool  bpftool prog load ... pinmaps, cgroup attach, map update (one
#            process per step, as a shell script would do it)
#
# For each: exec to exit for one address and for a 100,000-line file, bulk
# loads of 10,000 / 100,000 / 1,000,000 entries (batched; libbpf also one
# update at a time), and peak RSS. Every attempt uses a fresh cgroup, and
# the peers' programs go with it (removing a cgroup drops its programs).
# Runs are interleaved, so a noisy neighbour hits all alike; the tables show
# medians and the ratio to ours. Results are appended to
# bench/results/latest.json. No packets are sent.
#
#   bench/peers.sh [REPEATS]     (make bench; make bench-smoke runs 1)
set -u
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
BIN=${BIN:-build/cgroup-skb-egress}
PEER=build/bench/libbpf_block
LOG_PEER=build/bench/libbpf_log
OBJ=build/bench/prog_btf.o
REPEATS=${1:-7}
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
# No dots in it: libbpf turns every "." of a pin path into "_".
TMP=$(mktemp -d /tmp/cse-peers-XXXXXX)
BASE=$CG2/cse-peers-$$
JSON=bench/results/latest.json
n=0

cleanup() {
	local d
	for d in "$BASE"/*/; do
		[ -d "$d" ] && { "$BIN" detach -c "$d" >/dev/null 2>&1; rmdir "$d" 2>/dev/null; }
	done
	rmdir "$BASE" 2>/dev/null
	mountpoint -q "$TMP/bpffs" && umount "$TMP/bpffs"
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] && [ -n "$CG2" ] || { echo "peers bench: needs root and cgroup2" >&2; exit 1; }
for f in "$BIN" "$PEER" "$OBJ"; do
	[ -e "$f" ] || { echo "peers bench: $f is missing (make bench builds it)" >&2; exit 1; }
done
mkdir -p "$BASE" "$TMP/bpffs" bench/results || exit 1
# bpftool pins what it loads: a private bpffs, unmounted at exit.
HAVE_BPFTOOL=0
if command -v bpftool >/dev/null && mount -t bpf bpf "$TMP/bpffs"; then
	HAVE_BPFTOOL=1
fi
for k in 10000 100000 1000000; do
	addresses $k >"$TMP/$k.txt"
done
# The same 100,000 entries as one bpftool batch file of map updates.
awk '{ split($1, o, "."); printf "map update pinned PIN key hex 40 00 00 00 04 00 00 00 %02x %02x %02x %02x 00 00 00 00 00 00 00 00 00 00 00 00 value hex 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n", o[1], o[2], o[3], o[4] }' \
	"$TMP/100000.txt" >"$TMP/100000.batch"

fresh_cg() { n=$((n + 1)); CG=$BASE/$n; mkdir "$CG"; }
drop_cg() { "$BIN" detach -c "$CG" >/dev/null 2>&1; rmdir "$CG"; }

# ms CMD...: a program's time from exec to exit in ms (exec_ms, lib.sh).
ms() { exec_ms 0 "$@"; }
# script_ms CMD...: the wall time of a shell function (the bpftool script,
# several processes) from bash; a failure ends the bench.
script_ms() {
	local t0 t1
	t0=$EPOCHREALTIME
	if ! "$@" >/dev/null 2>"$TMP/err"; then
		echo "peers bench: $* failed: $(head -c 300 "$TMP/err")" >&2
		kill -TERM $$
	fi
	t1=$EPOCHREALTIME
	awk -v a="${t0/./}" -v b="${t1/./}" 'BEGIN { printf "%.3f", (b - a) / 1000 }'
}
# kb CMD...: the command's peak RSS in KiB.
kb() { /usr/bin/time -f %M -o "$TMP/rss" "$@" >/dev/null 2>&1; cat "$TMP/rss"; }

bpftool_block() { # CG ADDR-FILE-OR-EMPTY: the script a user would write
	local pin=$TMP/bpffs/p$n obj=$OBJ
	# bpftool takes the map sizes of the object: one built for 100,000.
	[ -n "$2" ] && obj=${OBJ%.o}_100k.o
	mkdir "$pin" &&
		bpftool prog load "$obj" "$pin/prog" type cgroup/skb pinmaps "$pin" &&
		bpftool cgroup attach "$1" egress pinned "$pin/prog" &&
		bpftool map update pinned "$pin/CONFIG" key hex 00 00 00 00 value hex 02 00 00 00 00 00 00 00 \
			00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 &&
		if [ -n "$2" ]; then
			sed "s|PIN|$pin/BLOCKLIST_A|" "$2" >"$TMP/b" && bpftool batch file "$TMP/b"
		else
			bpftool map update pinned "$pin/BLOCKLIST_A" key hex 40 00 00 00 04 00 00 00 c0 00 02 01 \
				00 00 00 00 00 00 00 00 00 00 00 00 value hex 00 00 00 00 00 00 00 00 \
				00 00 00 00 00 00 00 00
		fi
	local rc=$?
	rm -rf "$pin"
	return $rc
}

# ours_then_libbpf K: block K addresses (1: one on the command line) with
# ours and with libbpf, in the order the repeat's parity says: whichever goes
# second starts while the kernel may still be freeing what the first made
# (a million entries take a while), so each goes first half the time.
ours_then_libbpf() {
	local k=$1 who args
	for who in ours libbpf; do
		[ $((r % 2)) = 1 ] && who=$([ "$who" = ours ] && echo libbpf || echo ours)
		if [ "$k" = 1 ]; then args=(192.0.2.1); else args=(-f "$TMP/$k.txt"); fi
		fresh_cg
		if [ "$who" = ours ]; then
			[ "$k" = 1 ] || args=(--max-entries "$k" "${args[@]}")
			add "ours:block $k" "$(ms "$BIN" block -c "$CG" "${args[@]}")"
		else
			add "libbpf:block $k" "$(ms "$PEER" "$OBJ" "$CG" "${args[@]}")"
		fi
		drop_cg
	done
}
for ((r = 0; r < REPEATS; r++)); do
	ours_then_libbpf 1
	if [ $HAVE_BPFTOOL = 1 ]; then
		fresh_cg; add "bpftool:block 1" "$(script_ms bpftool_block "$CG" "")"; drop_cg
	fi
	ours_then_libbpf 100000
	if [ $HAVE_BPFTOOL = 1 ]; then
		fresh_cg; add "bpftool:block 100000" "$(script_ms bpftool_block "$CG" "$TMP/100000.batch")"; drop_cg
	fi
	ours_then_libbpf 10000
	ours_then_libbpf 1000000
done
# libbpf one update at a time: after the rest, so that freeing its million
# entries never overlaps a timed comparison.
for ((r = 0; r < REPEATS; r++)); do
	for k in 10000 100000 1000000; do
		fresh_cg; add "libbpf per element:block $k" "$(ms "$PEER" "$OBJ" "$CG" -f "$TMP/$k.txt" --per-element)"; drop_cg
	done
done
# run and log, each stopped with SIGINT after a second: the rings (64 pages
# per CPU) and their scratch buffers; the peer is libbpf's perf_buffer reader.
fresh_cg; add "ours:rss run" "$(exec_kib 0 -i 1000 "$BIN" run -c "$CG" -b 192.0.2.1)"; drop_cg
fresh_cg
"$BIN" block -c "$CG" 192.0.2.1 >/dev/null 2>&1
add "ours:rss log" "$(exec_kib 0 -i 1000 "$BIN" log -c "$CG")"
id=$("$BIN" status -c "$CG" --json | grep -o '"prog_id":[0-9]*' | head -1 | cut -d: -f2)
add "libbpf:rss log" "$(exec_kib 0 -i 1000 "$LOG_PEER" "$id" 64)"
drop_cg
fresh_cg; add "ours:rss 1" "$(kb "$BIN" block -c "$CG" 192.0.2.1)"; drop_cg
fresh_cg; add "libbpf:rss 1" "$(kb "$PEER" "$OBJ" "$CG" 192.0.2.1)"; drop_cg
fresh_cg; add "ours:rss 100000" "$(kb "$BIN" block -c "$CG" --max-entries 100000 -f "$TMP/100000.txt")"; drop_cg
fresh_cg; add "libbpf:rss 100000" "$(kb "$PEER" "$OBJ" "$CG" -f "$TMP/100000.txt")"; drop_cg
# Memory per entry in the kernel: BLOCKLIST_A's memlock (bpftool) over its
# size, for a million entries.
kernel_per_entry=-
if [ $HAVE_BPFTOOL = 1 ]; then
	fresh_cg
	"$BIN" block -c "$CG" --max-entries 1000000 -f "$TMP/1000000.txt" >/dev/null 2>&1
	id=$("$BIN" status -c "$CG" --json | grep -o '"blocklist_map_id":[0-9]*' | head -1 | cut -d: -f2)
	memlock=$(bpftool map show id "$id" 2>/dev/null | grep -o 'memlock [0-9]*' | cut -d' ' -f2)
	[ -n "$memlock" ] && kernel_per_entry=$((memlock / 1000000))
	drop_cg
fi
if [ $HAVE_BPFTOOL = 1 ]; then
	pin=$TMP/bpffs/rss
	mkdir "$pin"
	add "bpftool:rss 1" "$(kb bpftool prog load "$OBJ" "$pin/prog" type cgroup/skb pinmaps "$pin")"
	rm -rf "$pin"
fi

stamp=$(date -u +%FT%TZ)
printf '\n%s, kernel %s, %s CPUs, %d interleaved repeats\n\n' "$(date -u +%F)" \
	"$(uname -r)" "$(nproc)" "$REPEATS"
printf '| %-34s | %10s | %10s | %10s | %16s |\n' "operation (exec to exit, median ms)" ours libbpf bpftool "libbpf 1 by 1"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "------------" "------------" "------------" "------------------"
for op in "block 1" "block 10000" "block 100000" "block 1000000"; do
	o=$(echo "${samples[ours:$op]:-}" | median)
	l=$(echo "${samples[libbpf:$op]:-}" | median)
	b=$(echo "${samples[bpftool:$op]:-}" | median)
	p=$(echo "${samples[libbpf per element:$op]:-}" | median)
	printf '| %-34s | %10s | %10s | %10s | %16s |\n' "$op" "${o:--}" \
		"${l:--} ($(ratio "$l" "$o")x)" "${b:--} ($(ratio "$b" "$o")x)" "${p:--}"
	for who in ours libbpf bpftool "libbpf per element"; do
		v=$(echo "${samples[$who:$op]:-}" | median)
		[ -n "$v" ] && printf '{"bench":"peers","when":"%s","kernel":"%s","tool":"%s","case":"%s","median_ms":%s}\n' \
			"$stamp" "$(uname -r)" "$who" "$op" "$v" >>"$JSON"
	done
done
printf '\n| %-34s | %10s | %10s | %10s |\n' "peak RSS (KiB)" ours libbpf bpftool
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "------------" "------------" "------------"
for op in "rss 1" "rss 100000" "rss run" "rss log"; do
	label=${op/rss/block}
	[ "$op" = "rss run" ] && label="run, 1 s"
	[ "$op" = "rss log" ] && label="log (libbpf: perf_buffer), 1 s"
	printf '| %-34s | %10s | %10s | %10s |\n' "$label" "${samples[ours:$op]:--}" \
		"${samples[libbpf:$op]:--}" "${samples[bpftool:$op]:--}"
	for who in ours libbpf bpftool; do
		[ -n "${samples[$who:$op]:-}" ] &&
			printf '{"bench":"peers","when":"%s","tool":"%s","case":"%s","peak_rss_kib":%s}\n' \
				"$stamp" "$who" "$label" "${samples[$who:$op]// /}" >>"$JSON"
	done
done
per_address=$(awk -v a="${samples[ours:rss 100000]}" -v b="${samples[ours:rss 1]}" \
	'BEGIN { printf "%.0f", (a - b) * 1024 / 99999 }')
printf '\nmemory per entry: %s bytes in the kernel (BLOCKLIST_A memlock / 1,000,000), %s bytes in block (peak RSS, 100,000 against 1)\n' \
	"$kernel_per_entry" "$per_address"
printf '{"bench":"peers","when":"%s","case":"memory per entry","kernel_bytes":"%s","block_bytes":%s}\n' \
	"$stamp" "$kernel_per_entry" "$per_address" >>"$JSON"
printf '\n| %-34s | %10s | %10s |\n' "stripped static binary (bytes)" ours libbpf
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "------------" "------------"
strip -o "$TMP/peer" "$PEER"
printf '| %-34s | %10s | %10s |\n' "x86_64" "$(stat -c %s "$BIN")" "$(stat -c %s "$TMP/peer")"
[ $HAVE_BPFTOOL = 1 ] || echo "(bpftool is not installed: its column is empty)"
