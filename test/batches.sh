# batches.sh - list, unblock and replace read and delete thousands of entries
# per system call (BPF_MAP_LOOKUP_BATCH, BPF_MAP_LOOKUP_AND_DELETE_BATCH,
# BPF_MAP_DELETE_BATCH; BPF_MAP_UPDATE_BATCH for block), and do exactly the
# same one entry per call on a kernel without them (before 5.6). That kernel
# is made here with `nethelper no-batch`: a seccomp filter answers EINVAL to
# the four batch commands, as such a kernel answers a command it lacks.
# Sourced by test/e2e.sh after replace.sh (its probe, DROPPED and servers).
# shellcheck shell=bash

# The list: 6,000 single addresses, 127.0.0.2 among them, in no order; two
# prefixes; an allow entry; one entry with a timeout.
{
	for i in $(seq 0 5999); do echo "10.40.$((i * 7 % 6000 / 256)).$((i * 7 % 6000 % 256))"; done
	echo 127.0.0.2
	echo 10.41.0.0/16
	echo 2001:db8:40::/48
} >"$TMP/batch-list.txt"
# Half of the 10.40 addresses to remove; not 127.0.0.2, nor 10.40.0.7 (allowed too).
grep '^10\.40\.' "$TMP/batch-list.txt" | grep -vx 10.40.0.7 | sed -n '1~2p' >"$TMP/batch-half.txt"

# bpf_cmds FILE: how many calls of each bpf(2) command strace saw, "CMD N" per line.
bpf_cmds() { sed -n 's/^[0-9 ]*bpf(\(BPF_[A-Z_]*\).*/\1/p' "$1" | sort | uniq -c | awk '{ print $2, $1 }'; }
# calls FILE CMD: how many calls of CMD.
calls() { bpf_cmds "$1" | awk -v c="$2" '$1 == c { n = $2 } END { print n + 0 }'; }

for way in batched "per key"; do
	if [ "$way" = batched ]; then run=("$BIN"); else run=("$HELPER" no-batch "$BIN"); fi
	w="batches ($way)"
	new_cgroup
	if "${run[@]}" block -c "$CG" --max-entries 8192 -f "$TMP/batch-list.txt" >"$TMP/b.out" 2>&1 &&
		"${run[@]}" allow -c "$CG" 10.40.0.7 >>"$TMP/b.out" 2>&1 &&
		"${run[@]}" block -c "$CG" --timeout 1h 192.0.2.40 >>"$TMP/b.out" 2>&1; then
		ok "$w: block of 6,003 entries, an allow entry, one with a timeout"
	else
		bad "$w: block" "$(head -c 500 "$TMP/b.out")"
	fi
	for _ in 1 2 3; do probe "$CG" udp 127.0.0.2 >/dev/null; done
	strace -f -qq -e trace=bpf -o "$TMP/list.trace" "${run[@]}" list -c "$CG" >"$TMP/list-$way.txt" 2>/dev/null
	check "$w: list has every entry once, in order" \
		test "$(wc -l <"$TMP/list-$way.txt")/$(awk '{ print $1, $NF == "allow" }' "$TMP/list-$way.txt" | sort -u | wc -l)" = 6005/6005
	check "$w: list: 127.0.0.2 counted 3 drops, the allow entry and the timeout shown" \
		eval 'grep -qx "127.0.0.2 3" "$TMP/list-$way.txt" && grep -qx "10.40.0.7 0 allow" "$TMP/list-$way.txt" &&
			grep -q "^192.0.2.40 0 3[0-9]*s$" "$TMP/list-$way.txt"'
	if [ "$way" = batched ]; then
		check "$w: list read the hash in BPF_MAP_LOOKUP_BATCH calls of thousands, no key walk" \
			eval '[ "$(calls "$TMP/list.trace" BPF_MAP_LOOKUP_BATCH)" -ge 2 ] &&
				[ "$(calls "$TMP/list.trace" BPF_MAP_LOOKUP_BATCH)" -le 4 ] &&
				[ "$(calls "$TMP/list.trace" BPF_MAP_GET_NEXT_KEY)" -lt 10 ]'
	else
		check "$w: list walked a key per call when batches were refused" \
			eval '[ "$(calls "$TMP/list.trace" BPF_MAP_GET_NEXT_KEY)" -gt 6000 ] &&
				[ "$(calls "$TMP/list.trace" BPF_MAP_LOOKUP_ELEM)" -gt 6000 ]'
	fi
	# unblock of 3,000: through the switch, the old set deleted after.
	strace -f -qq -e trace=bpf -o "$TMP/unblock.trace" "${run[@]}" unblock -c "$CG" -f "$TMP/batch-half.txt" \
		>"$TMP/u.out" 2>&1
	check "$w: unblock of 3,000 through the switch: said, and they are gone" \
		eval 'grep -q "removed 3000 addresses" "$TMP/u.out" &&
			[ "$("$BIN" list -c "$CG" 2>/dev/null | wc -l)" = 3005 ] &&
			! "$BIN" list -c "$CG" 2>/dev/null | cut -d" " -f1 | grep -qxFf "$TMP/batch-half.txt"'
	check "$w: ... 127.0.0.2 kept its 3 drops and is still dropped" \
		eval '"$BIN" list -c "$CG" 2>/dev/null | grep -qx "127.0.0.2 3" &&
			test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"'
	if [ "$way" = batched ]; then
		check "$w: unblock deleted the old set with BPF_MAP_DELETE_BATCH" \
			eval '[ "$(calls "$TMP/unblock.trace" BPF_MAP_DELETE_BATCH)" -ge 2 ] &&
				[ "$(calls "$TMP/unblock.trace" BPF_MAP_DELETE_ELEM)" -lt 10 ]'
	else
		check "$w: unblock deleted a key per call" \
			eval '[ "$(calls "$TMP/unblock.trace" BPF_MAP_DELETE_ELEM)" -gt 6000 ]'
	fi
	# replace: 1,000 kept, 1,000 new, and the allow entry kept (replace keeps them);
	# the set switched to was emptied after the unblock.
	{
		grep '^10\.40\.' "$TMP/list-$way.txt" | grep -v ' allow$' | cut -d' ' -f1 | grep -vxFf "$TMP/batch-half.txt" | head -1000
		for i in $(seq 0 999); do echo "10.42.$((i / 256)).$((i % 256))"; done
		echo 127.0.0.2
	} >"$TMP/batch-replace.txt"
	# 127.0.0.2 has 4 drops now: the probe above dropped one more.
	check "$w: replace: 1,002 kept with their counters, 1,000 new, the rest removed" \
		eval '"${run[@]}" replace -c "$CG" -f "$TMP/batch-replace.txt" 2>&1 |
			grep -q "2002 entries, 1000 of them new, 1002 kept with their counters; 2003 removed" &&
			"$BIN" list -c "$CG" 2>/dev/null | grep -qx "127.0.0.2 4"'
	"${run[@]}" list -c "$CG" >"$TMP/final-$way.txt" 2>/dev/null
	"$BIN" detach -c "$CG" >/dev/null 2>&1
done
# More prefixes than one batch holds: the trie is read in batches too (Linux
# 5.13), whose cursor is a whole key, not a hash's bucket number.
awk 'BEGIN { for (i = 0; i < 5000; i++) { v = (i * 1677721 + 4099) % 16777216; a = int(v / 65536);
	if (a == 127) { n++; continue } printf "%d.%d.%d.0/24\n", a, int(v / 256) % 256, v % 256 } }' \
	>"$TMP/batch-nets.txt"
nets=$(wc -l <"$TMP/batch-nets.txt")
for way in batched "per key"; do
	if [ "$way" = batched ]; then run=("$BIN"); else run=("$HELPER" no-batch "$BIN"); fi
	new_cgroup
	"${run[@]}" block -c "$CG" --max-entries 8192 -f "$TMP/batch-nets.txt" >/dev/null 2>&1
	check "batches ($way): $nets prefixes listed, each once" \
		eval 'test "$("${run[@]}" list -c "$CG" 2>/dev/null | cut -d" " -f1 | sort -u | wc -l)" = "$nets" &&
			diff -q <("${run[@]}" list -c "$CG" 2>/dev/null | cut -d" " -f1 | sort) <(sort "$TMP/batch-nets.txt") >/dev/null'
	check "batches ($way): unblock of all $nets prefixes, through the switch, leaves none" \
		eval '"${run[@]}" unblock -c "$CG" -f "$TMP/batch-nets.txt" 2>&1 | grep -q "removed $nets addresses" &&
			test -z "$("${run[@]}" list -c "$CG" 2>/dev/null)"'
	"$BIN" detach -c "$CG" >/dev/null 2>&1
done
check "batches: both ways listed the same, before and after" \
	eval 'cmp -s "$TMP/list-batched.txt" "$TMP/list-per key.txt" && cmp -s "$TMP/final-batched.txt" "$TMP/final-per key.txt" &&
		[ "$(wc -l <"$TMP/final-batched.txt")" = 2002 ]'
