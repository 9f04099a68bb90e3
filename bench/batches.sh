#!/usr/bin/env bash
# batches.sh - reading and deleting 100,000 entries a few thousand per system
# call (BPF_MAP_LOOKUP_BATCH, BPF_MAP_DELETE_BATCH, ...; Linux 5.6) against
# one call per entry (root).
#
# Three ways to do the same `list`, `unblock` and `replace` of a list of
# 100,000 addresses:
#   batched    this build, as it runs on this kernel
#   per key    this build, with the batch commands refused as a kernel
#              before 5.6 refuses them (test/nethelper no-batch, seccomp)
#   BASELINE   an earlier build, when one is given (the previous release,
#              which read and deleted one entry per call)
# Runs are interleaved; the table shows medians and each one's ratio to
# batched. Results are appended to bench/results/latest.json.
#
#   bench/batches.sh [REPEATS] [BASELINE_BINARY]
set -u
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
BIN=build/cgroup-skb-egress
HELPER=build/test/nethelper
REPEATS=${1:-7}
BASELINE=${2:-}
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
TMP=$(mktemp -d /tmp/cse-batches.XXXXXX)
CG=$CG2/cse-batches-$$
trap '"$BIN" detach -c "$CG" >/dev/null 2>&1; rmdir "$CG" 2>/dev/null; rm -rf "$TMP"' EXIT
[ "$(id -u)" -eq 0 ] && [ -n "$CG2" ] || { echo "batches bench: needs root and cgroup2" >&2; exit 1; }
for f in "$BIN" "$HELPER" build/bench/timeit $BASELINE; do
	[ -x "$f" ] || { echo "batches bench: $f is missing (make bench builds it)" >&2; exit 1; }
done
mkdir "$CG" || exit 1
addresses 100000 >"$TMP/100k.txt"
# The same count, other addresses: a replace that changes every entry.
addresses 200000 | tail -n 100000 >"$TMP/other.txt"

ways=(batched "per key")
[ -n "$BASELINE" ] && ways+=(baseline)
# run WAY ARGS...: the tool's exec-to-exit ms, run the way WAY says.
run() {
	case $1 in
	batched) exec_ms 0 "$BIN" "${@:2}" ;;
	"per key") exec_ms 0 "$HELPER" no-batch "$BIN" "${@:2}" ;;
	baseline) exec_ms 0 "$BASELINE" "${@:2}" ;;
	esac
}
ops=("list 100,000" "replace 100,000 by 100,000 others" "unblock 100,000")
for ((r = 0; r < REPEATS; r++)); do
	for way in "${ways[@]}"; do
		"$BIN" detach -c "$CG" >/dev/null 2>&1
		"$BIN" block -c "$CG" --max-entries 100001 -f "$TMP/100k.txt" 2>/dev/null || exit 1
		add "$way/${ops[0]}" "$(run "$way" list -c "$CG" 2>/dev/null)"
		add "$way/${ops[1]}" "$(run "$way" replace -c "$CG" -f "$TMP/other.txt")"
		add "$way/${ops[2]}" "$(run "$way" unblock -c "$CG" -f "$TMP/other.txt")"
	done
done
"$BIN" detach -c "$CG" >/dev/null 2>&1
printf '\n%s, kernel %s, %s CPUs, %d interleaved repeats\n\n' "$(date -u +%F)" "$(uname -r)" "$(nproc)" "$REPEATS"
header="| operation (exec to exit, median ms) | batched | per key (/ batched)"
[ -n "$BASELINE" ] && header+=" | baseline (/ batched)"
echo "$header |"
echo "|---|---|---$([ -n "$BASELINE" ] && echo "|---")|"
for op in "${ops[@]}"; do
	b=$(echo "${samples[batched/$op]}" | median)
	line="| $op | $b"
	for way in "${ways[@]:1}"; do
		m=$(echo "${samples[$way/$op]}" | median)
		line+=" | $m ($(ratio "$m" "$b")x)"
		printf '{"bench":"batches","when":"%s","kernel":"%s","case":"%s","way":"%s","median_ms":%s,"batched_ms":%s}\n' \
			"$(date -u +%FT%TZ)" "$(uname -r)" "$op" "$way" "$m" "$b" >>bench/results/latest.json
	done
	echo "$line |"
done
