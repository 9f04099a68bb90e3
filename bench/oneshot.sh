#!/usr/bin/env bash
# oneshot.sh - how long the one-shot commands take, exec to exit (root).
#
# Each operation runs REPEATS times, interleaved with the others so that a
# noisy neighbour hits them all alike; the table shows the median and its
# ratio to the floor: `status` on an empty cgroup, which is exec, reading
# the embedded object and one BPF_PROG_QUERY. No packets are sent. Results
# are appended to bench/results/latest.json too.
#
#   bench/oneshot.sh [REPEATS]     (make bench; make bench-smoke runs 3)
set -u
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
BIN=${BIN:-build/cgroup-skb-egress}
REPEATS=${1:-11}
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
TMP=$(mktemp -d /tmp/cse-bench.XXXXXX)
CG=$CG2/cse-bench-$$
trap '"$BIN" detach -c "$CG" >/dev/null 2>&1; rmdir "$CG" 2>/dev/null; rm -rf "$TMP"' EXIT
[ "$(id -u)" -eq 0 ] && [ -n "$CG2" ] || { echo "oneshot bench: needs root and cgroup2" >&2; exit 1; }
mkdir "$CG" || exit 1
addresses 100000 >"$TMP/100k.txt"

# ms WANT ARGS...: the tool's time from exec to exit in ms (exec_ms, lib.sh).
ms() { exec_ms "$1" "$BIN" "${@:2}"; }
for ((r = 0; r < REPEATS; r++)); do
	add floor "$(ms 3 status -c "$CG")"
	add "block 1 address (load, attach)" "$(ms 0 block -c "$CG" 192.0.2.1)"
	add "block 1 more (instance there)" "$(ms 0 block -c "$CG" 192.0.2.2)"
	add "unblock 1 address" "$(ms 0 unblock -c "$CG" 192.0.2.2)"
	add "detach" "$(ms 0 detach -c "$CG")"
	add "block 100,000-line file (load, attach)" "$(ms 0 block -c "$CG" --max-entries 100001 -f "$TMP/100k.txt")"
	add "list 100,000" "$(ms 0 list -c "$CG")"
	add "block 1 more (100,000 there)" "$(ms 0 block -c "$CG" 192.0.2.3)"
	add "unblock 100,000-line file" "$(ms 0 unblock -c "$CG" -f "$TMP/100k.txt")"
	"$BIN" detach -c "$CG" >/dev/null 2>&1
done
floor=$(echo "${samples[floor]}" | median)
printf '\n%s, kernel %s, %s CPUs, %d interleaved repeats\n\n' "$(date -u +%F)" "$(uname -r)" "$(nproc)" "$REPEATS"
printf '| %-40s | %9s | %8s |\n' "operation (exec to exit)" "median ms" "/ floor"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..42})" "-----------" "----------"
for op in floor "block 1 address (load, attach)" "block 1 more (instance there)" "unblock 1 address" detach \
	"block 100,000-line file (load, attach)" "list 100,000" "block 1 more (100,000 there)" "unblock 100,000-line file"; do
	m=$(echo "${samples[$op]}" | median)
	label=$op
	[ "$op" = floor ] && label="floor: status on an empty cgroup"
	printf '| %-40s | %9.2f | %8.1f |\n' "$label" "$m" "$(awk -v m="$m" -v f="$floor" 'BEGIN { print m / f }')"
	printf '{"bench":"oneshot","when":"%s","kernel":"%s","case":"%s","median_ms":%s,"floor_ms":%s}\n' \
		"$(date -u +%FT%TZ)" "$(uname -r)" "$label" "$m" "$floor" >>bench/results/latest.json
done
