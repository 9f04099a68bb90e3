#!/usr/bin/env bash
# traffic.sh - what filtering costs real loopback traffic (root):
#
#   none     no program, no rule
#   floor    a program that only returns 1 (nethelper attach-foreign): what
#            any cgroup SKB program costs before it does anything
#   ours     cgroup-skb-egress with N addresses blocked; --log none, and
#            --log all with a reader (`log`) writing to /dev/null
#   nft      nftables' equivalent: a set of N addresses and the rule
#            `socket cgroupv2 level 1 "<cgroup>" ip daddr @blocked drop`
#
# in a network namespace made for it, with lists of 10, 10,000 and 100,000
# addresses, and of 10,000 IPv4 prefixes (/24s spread over the address
# space: our LPM trie against an nftables set with `flags interval`). None
# covers 127.0.0.1, so every packet is a miss, the common case. Measured from inside a fresh cgroup: UDP datagrams sent in MS ms,
# UDP request/response exchanges and TCP connect/request/response exchanges
# with a server on 127.0.0.1. Cases are interleaved; the table shows medians
# and the ratio to none. Results are appended to bench/results/latest.json.
#
#   bench/traffic.sh [REPEATS] [MS]     (make bench; make bench-smoke: 1 200)
set -u
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
BIN=build/cgroup-skb-egress
HELPER=build/test/nethelper
REPEATS=${1:-5}
MS=${2:-1000}
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
TMP=$(mktemp -d /tmp/cse-traffic-XXXXXX)
NS=cse-traffic-$$
CG=$CG2/cse-traffic-$$
JSON=bench/results/latest.json
PORT=9911
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${reader:-}" ] && kill "$reader" 2>/dev/null
	"$BIN" detach -c "$CG" >/dev/null 2>&1
	rmdir "$CG" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] && [ -n "$CG2" ] || { echo "traffic bench: needs root and cgroup2" >&2; exit 1; }
[ -x "$HELPER" ] || { echo "traffic bench: $HELPER is missing (make bench builds it)" >&2; exit 1; }
HAVE_NFT=0
command -v nft >/dev/null && HAVE_NFT=1
mkdir -p bench/results
mkdir "$CG" || exit 1
ip netns add "$NS" || exit 1
# nsenter, not `ip netns exec`: that remounts /sys, and hides the cgroup2 mount.
in_ns() { nsenter --net="/var/run/netns/$NS" "$@"; }
in_ns ip link set lo up
# Started directly (not through in_ns, a function, which would run in a
# subshell): $! is then the server's own pid, which cleanup can end.
nsenter --net="/var/run/netns/$NS" "$HELPER" serve 127.0.0.1 $PORT 3600 >"$TMP/serve.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q ready "$TMP/serve.out" 2>/dev/null && break; sleep 0.1; done
prefixes 10000 >"$TMP/nets10000.txt"
for k in 10 10000 100000 nets10000; do
	[ "$k" = nets10000 ] || addresses $k >"$TMP/$k.txt"
	{
		echo "table inet cse_bench {"
		if [ "$k" = nets10000 ]; then
			echo "  set blocked { type ipv4_addr; flags interval; elements = {"
		else
			echo "  set blocked { type ipv4_addr; size $((k + 1)); elements = {"
		fi
		paste -sd, "$TMP/$k.txt"
		echo "  } }"
		# nft resolves the path under /sys/fs/cgroup; level 1 is the cgroup's depth in cgroup2.
		echo "  chain out { type filter hook output priority 0; socket cgroupv2 level 1 \"${CG#/sys/fs/cgroup/}\" ip daddr @blocked drop; }"
		echo "}"
	} >"$TMP/$k.nft"
done

# measure: the three numbers for the current set-up, from inside the cgroup
measure() { # LABEL
	local what n
	for what in stream rr-udp rr-tcp; do
		n=$(in_ns "$HELPER" -g "$CG" $what 127.0.0.1 $PORT "$MS" | awk '{ print $2 }')
		case $n in
		'' | *[!0-9]*)
			echo "traffic bench: $what under '$1' failed" >&2
			exit 1
			;;
		esac
		samples["$1:$what"]="${samples[$1:$what]:-} $n"
	done
}
setup() { # none | floor | ours-none K | ours-all K | nft K
	case $1 in
	floor) "$HELPER" attach-foreign "$CG" single >/dev/null || return 1 ;;
	ours-*)
		"$BIN" block -c "$CG" --max-entries 100000 -f "$TMP/$2.txt" >/dev/null 2>&1 || return 1
		if [ "$1" = ours-all ]; then
			"$BIN" log -c "$CG" --log all >"$TMP/reader.out" 2>/dev/null &
			reader=$!
			sleep 0.3
		fi
		;;
	nft) in_ns nft -f "$TMP/$2.nft" || return 1 ;;
	esac
}
teardown() {
	if [ -n "${reader:-}" ]; then
		kill "$reader"
		wait "$reader" 2>/dev/null
		reader=
		# What the reader lost, as the kernel counted it: its LOST lines.
		lost=$((lost + $(awk '/^LOST/ { n += $2 } END { print n + 0 }' "$TMP/reader.out")))
	fi
	"$BIN" detach -c "$CG" >/dev/null 2>&1
	"$HELPER" detach-all "$CG" >/dev/null 2>&1
	in_ns nft delete table inet cse_bench 2>/dev/null
	return 0
}

cases=("none" "floor" "ours-none 10" "ours-none 10000" "ours-none 100000" "ours-none nets10000" "ours-all 10")
[ $HAVE_NFT = 1 ] && cases+=("nft 10" "nft 10000" "nft 100000" "nft nets10000")
reader=
lost=0
for ((r = 0; r < REPEATS; r++)); do
	# A different case first each repeat, so drift over the run (TIME_WAIT
	# sockets piling up, a noisy neighbour) does not always hit the same one.
	for ((k = 0; k < ${#cases[@]}; k++)); do
		c=${cases[$(((k + r) % ${#cases[@]}))]}
		# shellcheck disable=SC2086 # the case is "kind count"
		setup $c || { echo "traffic bench: setting up '$c' failed" >&2; exit 1; }
		measure "$c"
		teardown
	done
done

stamp=$(date -u +%FT%TZ)
printf '\n%s, kernel %s, %s CPUs, %d interleaved repeats of %d ms each\n\n' "$(date -u +%F)" \
	"$(uname -r)" "$(nproc)" "$REPEATS" "$MS"
printf '| %-36s | %16s | %16s | %16s |\n' "set-up (per second, median)" "UDP datagrams" "UDP exchanges" "TCP exchanges"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..38})" "------------------" "------------------" "------------------"
declare -A base
for c in "${cases[@]}"; do
	row=""
	for what in stream rr-udp rr-tcp; do
		m=$(echo "${samples[$c:$what]:-}" | median)
		per_s=$(awk -v n="$m" -v ms="$MS" 'BEGIN { printf "%.0f", n * 1000 / ms }')
		[ "$c" = none ] && base[$what]=$per_s
		row="$row | $(printf '%9s (%.2f)' "$per_s" "$(awk -v a="$per_s" -v b="${base[$what]}" 'BEGIN { print (b ? a / b : 0) }')")"
		printf '{"bench":"traffic","when":"%s","kernel":"%s","case":"%s","metric":"%s per s","median":%s,"ratio_to_none":%s}\n' \
			"$stamp" "$(uname -r)" "$c" "$what" "$per_s" \
			"$(awk -v a="$per_s" -v b="${base[$what]}" 'BEGIN { printf "%.3f", b ? a / b : 0 }')" >>"$JSON"
	done
	label=$c
	case $c in
	floor) label="floor: a program returning 1" ;;
	"ours-none nets10000") label="ours, --log none, 10000 prefixes" ;;
	"nft nets10000") label="nftables, 10000 prefixes (interval)" ;;
	ours-none*) label="ours, --log none, ${c#* } addr" ;;
	ours-all*) label="ours, --log all + reader, ${c#* } addr" ;;
	nft*) label="nftables, ${c#* } addr" ;;
	esac
	printf '| %-36s%s |\n' "$label" "$row"
done
echo "(--log all: the reader counted $lost events lost over all repeats)"
printf '{"bench":"traffic","when":"%s","case":"ours-all 10","metric":"events lost by the reader","total":%s}\n' \
	"$stamp" "$lost" >>"$JSON"
[ $HAVE_NFT = 1 ] || echo "(nft is not installed: no nftables rows)"
