# shellcheck shell=bash
# lib.sh - what the bench/ scripts share: samples, their median and ratios,
# and address lists.

# add KEY VALUE: one more sample of KEY (samples[KEY] holds them, spaced).
declare -A samples
add() { samples[$1]="${samples[$1]:-} $2"; }

# median: of the numbers on stdin, separated by blanks or lines (empty if none).
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ratio A B: A / B to two places, or "-" when either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }

# prefixes N: N distinct IPv4 /24 prefixes spread over the whole address
# space (a step that is odd, so none repeats), 127.0.0.0/8 left out: a
# lookup of 127.0.0.1 walks as deep into a trie of them as chance has it.
prefixes() { awk -v n="$1" 'BEGIN { for (i = 0; c < n; i++) { v = (i * 1677721 + 4099) % 16777216; a = int(v / 65536); if (a == 127) continue; printf "%d.%d.%d.0/24\n", a, int(v / 256) % 256, v % 256; c++ } }'; }

# addresses N: N distinct IPv4 addresses, 10.0.0.0 upwards, one per line, in order.
addresses() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "10.%d.%d.%d\n", i / 65536, (i / 256) % 256, i % 256 }'; }

# timed WANT [-i MS] CMD...: run CMD under bench/timeit.c (timing from bash
# would add bash's own fork to every sample; -i MS stops it with SIGINT after
# MS ms) and set T (ms from exec to exit) and KIB (its peak RSS); an exit
# status other than WANT ends the bench. Needs TMP.
timed() {
	local want=$1 out st
	shift
	out=$(build/bench/timeit "$@" 2>"$TMP/err") || out="- start -"
	read -r T st KIB <<<"$out"
	if [ "$st" != "$want" ]; then
		echo "bench: $* exited $st, want $want: $(head -c 300 "$TMP/err")" >&2
		kill -TERM $$
	fi
}
exec_ms() { timed "$@" && echo "$T"; }
exec_kib() { timed "$@" && echo "$KIB"; }
