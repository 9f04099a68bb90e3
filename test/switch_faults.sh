# switch_faults.sh - the switch (`replace`, and `block` and `unblock` of
# more than one system call) under SIGKILL at ten moments, and with each of
# its bpf(2) calls failing in turn. Old list or new list, never a mix; a
# failure before the switch leaves the old list byte for byte. Sourced by
# test/run.sh after test/faults.sh (static build; the servers still there).
# shellcheck shell=bash

new_cgroup
list_of() { "$BIN" list -c "$CG" 2>/dev/null; }
sum_of() { list_of | cut -d' ' -f1 | md5sum | cut -c1-32; }

# ---- SIGKILL at ten moments ------------------------------------------------------------
# 100,000 addresses, and a new list sharing half of them; 10,000 more for
# block and unblock.
for i in $(seq 0 99999); do echo "10.$((40 + i / 65536)).$((i / 256 % 256)).$((i % 256))"; done >"$TMP/k-old.txt"
for i in $(seq 50000 149999); do echo "10.$((40 + i / 65536)).$((i / 256 % 256)).$((i % 256))"; done >"$TMP/k-new.txt"
for i in $(seq 0 9999); do echo "10.50.$((i / 256)).$((i % 256))"; done >"$TMP/k-more.txt"
"$BIN" block -c "$CG" --max-entries 200000 -f "$TMP/k-old.txt" >/dev/null 2>&1
old_sum=$(sum_of)
t0=${EPOCHREALTIME/./}
"$BIN" replace -c "$CG" -f "$TMP/k-new.txt" >/dev/null 2>&1
t1=${EPOCHREALTIME/./}
new_sum=$(sum_of)
"$BIN" replace -c "$CG" -f "$TMP/k-old.txt" >/dev/null 2>&1
t2=${EPOCHREALTIME/./}
"$BIN" block -c "$CG" -f "$TMP/k-more.txt" >/dev/null 2>&1
t3=${EPOCHREALTIME/./}
more_sum=$(sum_of)
"$BIN" unblock -c "$CG" -f "$TMP/k-more.txt" >/dev/null 2>&1
t4=${EPOCHREALTIME/./}
replace_us=$((t1 - t0)) block_us=$((t3 - t2)) unblock_us=$((t4 - t3))
echo "    switch faults: here a replace of 100,000 entries took $((replace_us / 1000)) ms, a block of 10,000 more $((block_us / 1000)) ms, their unblock $((unblock_us / 1000)) ms"
check "switch faults: the three lists differ, and the old one is back" \
	eval 'test "$old_sum" != "$new_sum" -a "$old_sum" != "$more_sum" -a "$(sum_of)" = "$old_sum"'

# kill_during NAME US TO-SUM ARGS...: run the tool with ARGS ten times,
# killed with SIGKILL at 5%, 15% ... 95% of US, the time it takes; after each
# the list must be the old one or TO-SUM's, and one program must be on the
# hook. The old list is put back after a kill that came too late.
kill_during() {
	local name=$1 us=$2 to_sum=$3 k at pid sum olds=0 news=0 mixed=0
	shift 3
	for k in 0 1 2 3 4 5 6 7 8 9; do
		at=$((us * (10 * k + 5) / 100))
		"$BIN" "$@" >/dev/null 2>&1 &
		pid=$!
		sleep "$((at / 1000000)).$(printf '%06d' $((at % 1000000)))"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		sum=$(sum_of)
		if [ "$sum" = "$old_sum" ]; then
			olds=$((olds + 1))
		elif [ "$sum" = "$to_sum" ]; then
			news=$((news + 1))
			"$BIN" replace -c "$CG" -f "$TMP/k-old.txt" >/dev/null 2>&1
		else
			mixed=$((mixed + 1))
			echo "    $name: killed at $((at / 1000)) ms: $(list_of | wc -l) entries, neither list"
			"$BIN" replace -c "$CG" -f "$TMP/k-old.txt" >/dev/null 2>&1
		fi
		[ "$(prog_count "$CG")" = 1 ] || mixed=$((mixed + 1))
	done
	echo "    $name, killed at 10 moments: $olds old, $news new, $mixed neither"
	check "switch faults: $name killed at 10 moments: old or new, never a mix" test "$mixed" = 0
}
kill_during "replace of 100,000" "$replace_us" "$new_sum" replace -c "$CG" -f "$TMP/k-new.txt"
kill_during "block of 10,000 more" "$block_us" "$more_sum" block -c "$CG" -f "$TMP/k-more.txt"
# For unblock, the list it starts from is the larger one, and it ends at the old one.
"$BIN" block -c "$CG" -f "$TMP/k-more.txt" >/dev/null 2>&1
kill_during_unblock() {
	local k at pid sum olds=0 news=0 mixed=0
	for k in 0 1 2 3 4 5 6 7 8 9; do
		at=$((unblock_us * (10 * k + 5) / 100))
		"$BIN" unblock -c "$CG" -f "$TMP/k-more.txt" >/dev/null 2>&1 &
		pid=$!
		sleep "$((at / 1000000)).$(printf '%06d' $((at % 1000000)))"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		sum=$(sum_of)
		if [ "$sum" = "$more_sum" ]; then
			olds=$((olds + 1))
		elif [ "$sum" = "$old_sum" ]; then
			news=$((news + 1))
			"$BIN" block -c "$CG" -f "$TMP/k-more.txt" >/dev/null 2>&1
		else
			mixed=$((mixed + 1))
			echo "    unblock: killed at $((at / 1000)) ms: $(list_of | wc -l) entries, neither list"
			cat "$TMP/k-old.txt" "$TMP/k-more.txt" | "$BIN" replace -c "$CG" -f - >/dev/null 2>&1
		fi
	done
	echo "    unblock of 10,000, killed at 10 moments: $olds old, $news new, $mixed neither"
	check "switch faults: unblock of 10,000 killed at 10 moments: old or new, never a mix" test "$mixed" = 0
}
kill_during_unblock
"$BIN" detach -c "$CG" >/dev/null 2>&1

# ---- each bpf(2) call of a replace failing in turn -------------------------------------
# Before the switch, a failure leaves the list and its counters byte for
# byte; after it (carrying counters, emptying the old set), the new list
# stands and the command says so.
printf '127.0.0.2\n10.60.0.0/16\n192.0.2.5\n' >"$TMP/f-old.txt"
printf '127.0.0.2\n192.0.2.9\n2001:db8::/48\n' >"$TMP/f-new.txt"
fresh_old() {
	"$BIN" detach -c "$CG" >/dev/null 2>&1
	"$BIN" block -c "$CG" -f "$TMP/f-old.txt" >/dev/null 2>&1
	for _ in 1 2 3; do probe "$CG" udp 127.0.0.2 >/dev/null; done
}
fresh_old
list_of >"$TMP/f-before.list"
calls=$(strace -f -qq -e trace=bpf -o "$TMP/f.trace" "$BIN" replace -c "$CG" -f "$TMP/f-new.txt" 2>/dev/null && grep -c 'bpf(' "$TMP/f.trace")
list_of >"$TMP/f-after.list"
echo "    switch faults: a replace of 3 entries over 3 makes ${calls:-?} bpf(2) calls"
bad_n=""
for ((n = 1; n <= ${calls:-0}; n++)); do
	fresh_old
	strace -f -qq -o /dev/null -e trace=bpf -e inject="bpf:error=EPERM:when=$n" \
		"$BIN" replace -c "$CG" -f "$TMP/f-new.txt" >/dev/null 2>"$TMP/f.err"
	rc=$?
	if [ "$rc" != 0 ] && cmp -s "$TMP/f-before.list" <(list_of) && [ "$(wc -l <"$TMP/f.err")" = 1 ]; then
		:
	elif [ "$rc" = 0 ] && cmp -s "$TMP/f-after.list" <(list_of); then
		:
	else
		bad_n="$bad_n $n(rc $rc)"
	fi
	[ "$(prog_count "$CG")" = 1 ] || bad_n="$bad_n $n(programs)"
done
check "switch faults: each of the ${calls:-?} bpf(2) calls failing: the old list byte for byte, or the new one" \
	eval 'test "${calls:-0}" -gt 10 && test -z "$bad_n"'
[ -z "$bad_n" ] || echo "    failing calls:$bad_n"
"$BIN" detach -c "$CG" >/dev/null 2>&1
