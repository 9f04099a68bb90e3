#!/usr/bin/env bash
# callgraph.sh - the calls between the tool's files run one way, down from
# loader.c: no file calls (or reads the data of) a file that calls it,
# directly or through others. Each file is compiled on its own (no LTO) and
# nm says what it defines and what it uses; tsort finds any loop.
#
#   bash test/callgraph.sh FILE.c...   prints the edges; exit 1 on a loop
set -u
dir=$(mktemp -d /tmp/cse-callgraph.XXXXXX)
trap 'rm -rf "$dir"' EXIT
for f in "$@"; do
	${HOST_CC:-cc} -std=gnu11 -O0 -I. -c "$f" -o "$dir/$(basename "$f" .c).o" || exit 1
done
for o in "$dir"/*.o; do
	n=$(basename "$o" .o)
	nm "$o" | awk -v n="$n" '$2 ~ /^[TDRB]$/ { print "def", $3, n } $1 == "U" { print "use", $2, n }'
done | awk '
	$1 == "def" { owner[$2] = $3 }
	$1 == "use" { use[++k] = $2; user[k] = $3 }
	END { for (i = 1; i <= k; i++) if ((use[i] in owner) && owner[use[i]] != user[i]) print user[i], owner[use[i]] }
' | sort -u >"$dir/edges"
awk '{ e[$1] = e[$1] " " $2 } END { for (f in e) print "    " f " ->" e[f] }' "$dir/edges" | sort
if ! tsort "$dir/edges" >/dev/null 2>"$dir/loop"; then
	echo "    a loop: $(tr '\n' ' ' <"$dir/loop")"
	exit 1
fi
