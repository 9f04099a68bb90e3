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

# addresses N: N distinct IPv4 addresses, 10.0.0.0 upwards, one per line, in order.
addresses() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "10.%d.%d.%d\n", i / 65536, (i / 256) % 256, i % 256 }'; }
