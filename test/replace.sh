# replace.sh - the whole list replaced in one switch (`replace`), and
# `block` and `unblock` of more than one system call through the same
# switch. Sourced by test/e2e.sh after expiry.sh (its probe, DROPPED and
# servers). The kills and the injected failures are in test/switch_faults.sh.
# shellcheck shell=bash

new_cgroup
list_of() { "$BIN" list -c "$CG" 2>/dev/null; }
active_set() { "$BIN" status -c "$CG" --json 2>/dev/null | head -1 | sed -n 's/.*"set":"\(.\)".*/\1/p'; }

# ---- replace on a bare cgroup blocks, like block -----------------------------------------
printf '127.0.0.2\n127.0.0.3\n10.20.0.0/16\n' >"$TMP/old.txt"
expect_exit "replace: with nothing attached, attaches with the list" 0 "blocking 3 addresses; it stays attached" -- \
	replace -c "$CG" -f "$TMP/old.txt"
check "replace: 127.0.0.2 dropped" test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"
for _ in 1 2 3; do probe "$CG" udp 127.0.0.2 >/dev/null; done
check "replace: set A in use" test "$(active_set)" = A

# ---- a bad line anywhere: exit 2, the list as it was --------------------------------------
list_of >"$TMP/before.list"
printf '127.0.0.2\n192.0.2.1\n10.0.0.1/8\n' >"$TMP/bad-replace.txt"
expect_exit "replace: a bad line is exit 2, named" 2 "bad-replace.txt:3: '10.0.0.1/8' has bits set" -- \
	replace -c "$CG" -f "$TMP/bad-replace.txt"
check "replace: ... and the list is as it was, counters too" cmp -s "$TMP/before.list" <(list_of)

# ---- the switch: exactly the new list, kept entries keep their counters -------------------
printf '127.0.0.2\n192.0.2.7\n2001:db8::/32\n' >"$TMP/new.txt"
expect_exit "replace: says what changed" 0 \
	"replaced the list of program id [0-9]* on $CG: 3 entries, 2 of them new, 1 kept with their counters; 2 removed" -- \
	replace -c "$CG" -f "$TMP/new.txt"
check "replace: exactly the new list; 127.0.0.2 kept its 4 drops" \
	test "$(list_of | tr '\n' ' ')" = "127.0.0.2 4 192.0.2.7 0 2001:db8::/32 0 "
check "replace: set B in use now" test "$(active_set)" = B
check "replace: 127.0.0.3, removed, is not dropped" test "$(probe "$CG" udp 127.0.0.3)" != "$DROPPED"
check "replace: 127.0.0.2, kept, is dropped" test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"
expect_exit "replace: again, with --timeout" 0 "1 of them new" -- \
	replace -c "$CG" --timeout 1h 127.0.0.2 127.0.0.4
expect_exit "replace: ... time left on each, counter kept" 0 "^127.0.0.2 5 3[56][0-9][0-9]s$" -- list -c "$CG"
check "replace: back in set A" test "$(active_set)" = A
expect_exit "replace -f /dev/null empties the list; the program stays" 0 "0 entries, 0 of them new, 0 kept" -- \
	replace -c "$CG" -f /dev/null
check "replace: ... nothing listed, one program" eval 'test -z "$(list_of)" && test "$(prog_count "$CG")" = 1'

# ---- more than one system call: block and unblock through the switch ----------------------
for i in $(seq 0 4999); do echo "10.30.$((i / 256)).$((i % 256))"; done >"$TMP/5000.txt"
expect_exit "block of 5,000 on a list that holds 1,024: refused before anything changes" 1 \
	"the list would be 5000 addresses and 0 prefixes, but the maps of $CG hold 1024 and 1024" -- \
	block -c "$CG" -f "$TMP/5000.txt"
"$BIN" detach -c "$CG" >/dev/null 2>&1
"$BIN" replace -c "$CG" --max-entries 8192 127.0.0.2 >/dev/null 2>&1
probe "$CG" udp 127.0.0.2 >/dev/null
expect_exit "block of 5,000 on a list in use goes through the switch (-v)" 0 \
	"through the switch" -- block -v -c "$CG" -f "$TMP/5000.txt"
check "block: ... 5,001 entries, 127.0.0.2 with its counter" \
	eval 'test "$(list_of | wc -l)" = 5001 && list_of | grep -q "^127.0.0.2 1$"'
expect_exit "block of one address stays in place (-v)" 0 "1 BPF_MAP_UPDATE_BATCH" -- block -v -c "$CG" 127.0.0.9
expect_exit "unblock --strict of two, one absent: exit 1, nothing removed" 1 \
	"1 address is not blocked on $CG (127.0.0.8); --strict: nothing was removed" -- \
	unblock -c "$CG" --strict 127.0.0.9 127.0.0.8
check "unblock: ... 5,002 entries still" test "$(list_of | wc -l)" = 5002
expect_exit "unblock of 5,000 through the switch" 0 "removed 5000 addresses" -- unblock -c "$CG" -f "$TMP/5000.txt"
check "unblock: ... 127.0.0.2 (its counter) and 127.0.0.9 left" \
	test "$(list_of | tr '\n' ' ')" = "127.0.0.2 1 127.0.0.9 0 "
"$BIN" detach -c "$CG" >/dev/null 2>&1

# ---- the flood: datagrams throughout a replace, 20 times ----------------------------------
# A sender in the cgroup streams to 127.0.0.2 (in both lists) and another
# to 127.0.0.3 (in the old list only) while `replace` swaps 5,000 other
# entries. Not one datagram to 127.0.0.2 may go out; those to 127.0.0.3
# are refused until the switch and go out after it, never refused again.
for i in $(seq 0 4999); do echo "10.31.$((i / 256)).$((i % 256))"; done >"$TMP/5000b.txt"
(cat "$TMP/5000.txt" && echo 127.0.0.2 && echo 127.0.0.3) >"$TMP/flood-old.txt"
(cat "$TMP/5000b.txt" && echo 127.0.0.2) >"$TMP/flood-new.txt"
leaked=0 late=0 flapped=0 rounds=0
for round in $(seq 1 20); do
	"$BIN" replace -c "$CG" --max-entries 16384 -f "$TMP/flood-old.txt" >/dev/null 2>&1
	"$HELPER" -g "$CG" stream 127.0.0.2 "$PORT" 700 >"$TMP/kept.out" &
	kept=$!
	"$HELPER" -g "$CG" stream 127.0.0.3 "$PORT" 700 >"$TMP/removed.out" &
	removed=$!
	pids+=("$kept" "$removed")
	sleep 0.15
	"$BIN" replace -c "$CG" -f "$TMP/flood-new.txt" >/dev/null 2>"$TMP/flood.err" || echo "    round $round: $(cat "$TMP/flood.err")"
	wait "$kept" "$removed"
	read -r _ k_sent _ _ _ _ _ _ <"$TMP/kept.out"
	read -r _ r_sent _ r_refused _ _ _ r_flapped <"$TMP/removed.out"
	rounds=$((rounds + 1))
	[ "$k_sent" = 0 ] || leaked=$((leaked + k_sent))
	[ "$r_refused" -gt 0 ] && [ "$r_sent" -gt 0 ] || late=$((late + 1))
	flapped=$((flapped + r_flapped))
	[ "$round" = 1 ] && echo "    flood round 1: kept address $(cat "$TMP/kept.out"); removed address $(cat "$TMP/removed.out")"
	"$BIN" detach -c "$CG" >/dev/null 2>&1
done
check "flood: 20 replaces, not one datagram to the kept address went out ($leaked)" \
	test "$rounds/$leaked" = 20/0
check "flood: the removed address was refused, then went out, in every round ($late rounds not)" test "$late" = 0
check "flood: once out, never refused again ($flapped)" test "$flapped" = 0
