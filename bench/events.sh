#!/usr/bin/env bash
# events.sh - event delivery: how many events a reader sustains, how many it
# loses (as the kernel counted them), and how long one event takes from the
# program to a printed line (root).
#
#   ours     cgroup-skb-egress log --log all, default wake-up (every 64
#            events or 100 ms) and --wakeup-events 1; and the same through
#            the BPF ring buffer (an instance made by block --events ringbuf)
#   libbpf   bench/peer/libbpf_log.c: libbpf's perf_buffer, wake-up on
#            every event, the same 64 pages per CPU
#
# bench/events.c feeds the instance's program packets with
# BPF_PROG_TEST_RUN (no traffic), COUNT events in bursts of BURST, paced to
# 500,000 a second (about what loopback UDP sends here, bench/traffic.sh)
# and unpaced (as fast as the kernel runs the program: more than any real
# traffic here), and LATENCY single events one after the other. Cases are
# interleaved; the table shows medians. Results are appended to
# bench/results/latest.json.
#
#   bench/events.sh [REPEATS] [COUNT] [LATENCY]   (make bench; bench-smoke: 1 20000 10)
#
# "missing" is what neither arrived nor was counted lost when the reader
# stopped: the kernel reports a loss only at its next successful write.
set -u
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
BIN=build/cgroup-skb-egress
EVENTS=build/bench/events
PEER=build/bench/libbpf_log
REPEATS=${1:-5}
COUNT=${2:-200000}
BURST=64
LATENCY=${3:-200}
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
CG=$CG2/cse-events-$$
CG_RING=$CG2/cse-events-ring-$$
JSON=bench/results/latest.json

trap 'for c in "$CG" "$CG_RING"; do "$BIN" detach -c "$c" >/dev/null 2>&1; rmdir "$c" 2>/dev/null; done' EXIT
[ "$(id -u)" -eq 0 ] && [ -n "$CG2" ] || { echo "events bench: needs root and cgroup2" >&2; exit 1; }
for f in "$BIN" "$EVENTS" "$PEER"; do
	[ -x "$f" ] || { echo "events bench: $f is missing (make bench builds it)" >&2; exit 1; }
done
mkdir -p bench/results
mkdir "$CG" && "$BIN" block --events perf -c "$CG" 192.0.2.1 >/dev/null 2>&1 || exit 1
mkdir "$CG_RING" && "$BIN" block --events ringbuf -c "$CG_RING" 192.0.2.1 >/dev/null 2>&1 || exit 1
prog_id() { "$BIN" status -c "$1" --json | grep -o '"prog_id":[0-9]*' | head -1 | cut -d: -f2; }
ID=$(prog_id "$CG")
ID_RING=$(prog_id "$CG_RING")

run_case() { # RATE NAME PROG_ID READER...
	local rate=$1 name="$2 at ${1/#0/unpaced}" id=$3 out
	shift 3
	[ "$rate" = 0 ] || name="$name/s"
	out=$("$EVENTS" "$id" "$COUNT" $BURST "$rate" $LATENCY -- "$@" 2>/dev/null) || {
		echo "events bench: $name failed" >&2
		exit 1
	}
	names["$name"]=1
	# received N lost N missing N per_s N p50_us N p99_us N
	# shellcheck disable=SC2086 # the numbers, as words
	set -- $out
	add "$name:received" "$2"
	add "$name:lost" "$4"
	add "$name:missing" "$6"
	add "$name:per_s" "$8"
	add "$name:p50" "${10}"
	add "$name:p99" "${12}"
}
declare -A names
cases=()
for ((r = 0; r < REPEATS; r++)); do
	for rate in 500000 0; do
		run_case $rate "ours, wake-up every 64 events or 100 ms" "$ID" "$BIN" log -c "$CG" --log all
		run_case $rate "ours, --wakeup-events 1" "$ID" "$BIN" log -c "$CG" --log all --wakeup-events 1
		run_case $rate "ours, BPF ring buffer (256 KiB)" "$ID_RING" "$BIN" log -c "$CG_RING" --log all
		run_case $rate "libbpf perf_buffer, wake-up every event" "$ID" "$PEER" "$ID" 64
	done
done
for rate in "500000/s" unpaced; do
	for who in "ours, wake-up every 64 events or 100 ms" "ours, --wakeup-events 1" \
		"ours, BPF ring buffer (256 KiB)" "libbpf perf_buffer, wake-up every event"; do
		cases+=("$who at $rate")
	done
done

stamp=$(date -u +%FT%TZ)
printf '\n%s, kernel %s, %s CPUs, %d interleaved repeats of %d events (bursts of %d) and %d single events\n\n' \
	"$(date -u +%F)" "$(uname -r)" "$(nproc)" "$REPEATS" "$COUNT" $BURST $LATENCY
printf '| %-60s | %12s | %9s | %9s | %9s | %9s |\n' reader "events/s" lost missing "p50 us" "p99 us"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..62})" "--------------" "-----------" \
	"-----------" "-----------" "-----------"
for c in "${cases[@]}"; do
	row=()
	for m in per_s lost missing p50 p99; do
		row+=("$(echo "${samples[$c:$m]}" | median)")
	done
	printf '| %-60s | %12s | %9s | %9s | %9s | %9s |\n' "$c" "${row[@]}"
	printf '{"bench":"events","when":"%s","kernel":"%s","case":"%s","events_per_s":%s,"lost":%s,"missing":%s,"p50_us":%s,"p99_us":%s}\n' \
		"$stamp" "$(uname -r)" "$c" "${row[@]}" >>"$JSON"
done
