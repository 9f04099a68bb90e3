# upgrade.sh - an instance an earlier version left (the first map layout,
# test/layout1.bpf.c, put on the hook by test/layout1_load.c as that
# release's `block` did), used as it is and upgraded: `block` and `replace`
# carry its list and counters into a new instance that takes its place in
# one step. Also the upgrade that --max-entries asks for. Sourced by
# test/e2e.sh after replace.sh (its probe, DROPPED and servers).
# shellcheck shell=bash

new_cgroup
LAYOUT1=build/test/layout1.bpf.o
LOAD1=build/test/layout1_load
list_of() { "$BIN" list -c "$CG" 2>/dev/null; }
layout_of() { "$BIN" status -c "$CG" --json 2>/dev/null | head -1 | sed -n 's/.*"map_layout":\([0-9]\).*/\1/p'; }
prog_of() { "$BIN" status -c "$CG" --json 2>/dev/null | head -1 | sed -n 's/.*"prog_id":\([0-9]*\).*/\1/p'; }
old_instance() { # what the release of 2026-12-05 left, with 3 drops to 127.0.0.2
	"$BIN" detach -c "$CG" >/dev/null 2>&1
	"$LOAD1" "$LAYOUT1" "$CG" 127.0.0.2 127.0.0.3 10.60.0.0/16 || return 1
	for _ in 1 2 3; do probe "$CG" udp 127.0.0.2 >/dev/null; done
	return 0
}

# ---- the first layout, as it is ------------------------------------------------------------
check "upgrade: the first layout's instance is on the hook" old_instance
expect_exit "upgrade: status knows it (map_layout 1)" 0 '"persistent":true,"log":"none","holder_pid":0,"map_layout":1,' -- \
	status -c "$CG" --json
expect_exit "upgrade: list reads its 8-byte counters" 0 "^127.0.0.2 3$" -- list -c "$CG"
expect_exit "upgrade: unblock of one address works on it in place" 0 "removed 1 address" -- unblock -c "$CG" 127.0.0.3
check "upgrade: ... still layout 1" test "$(layout_of)" = 1

# ---- block upgrades it ---------------------------------------------------------------------
old_prog=$(prog_of)
expect_exit "upgrade: block on it upgrades it, in one step" 0 \
	"upgraded egress program id $old_prog on $CG to program id" -- block -c "$CG" 127.0.0.9
check "upgrade: ... map layout 2, one program, a new one" \
	eval 'test "$(layout_of)" = 2 && test "$(prog_count "$CG")" = 1 && test "$(prog_of)" != "$old_prog"'
check "upgrade: ... the list carried, counters too, and the new address" \
	test "$(list_of | tr '\n' ' ')" = "10.60.0.0/16 0 127.0.0.2 3 127.0.0.9 0 "
check "upgrade: ... and it blocks" test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"
expect_exit "upgrade: ... and takes --timeout now" 0 "added 1 address" -- block -c "$CG" --timeout 1h 127.0.0.10

# ---- block --timeout and replace upgrade too --------------------------------------------
check "upgrade: the old instance again" old_instance
expect_exit "upgrade: block --timeout on it upgrades it" 0 "upgraded egress program id" -- \
	block -c "$CG" --timeout 1h 127.0.0.9
expect_exit "upgrade: ... the new entry lapses, the old ones do not" 0 "^127.0.0.9 0 3[56][0-9][0-9]s$" -- list -c "$CG"
check "upgrade: ... 127.0.0.2 kept its counter" eval 'list_of | grep -q "^127.0.0.2 3$"'
check "upgrade: the old instance again" old_instance
expect_exit "upgrade: replace on it upgrades it to exactly the new list" 0 "upgraded egress program id" -- \
	replace -c "$CG" 127.0.0.2 192.0.2.8
check "upgrade: ... exactly the new list, 127.0.0.2 with its counter" \
	test "$(list_of | tr '\n' ' ')" = "127.0.0.2 3 192.0.2.8 0 "

# ---- --max-entries grows an instance, the same way --------------------------------------
expect_exit "upgrade: block --max-entries 4096 grows the 1,024-entry maps" 0 "upgraded egress program id" -- \
	block -c "$CG" --max-entries 4096 127.0.0.11
expect_exit "upgrade: ... status: 4096 entries" 0 '"max_entries":4096,' -- status -c "$CG" --json
check "upgrade: ... the list carried" test "$(list_of | tr '\n' ' ')" = "127.0.0.2 3 127.0.0.11 0 192.0.2.8 0 "
expect_exit "upgrade: the same --max-entries again: no upgrade" 0 "added 1 address" -- \
	block -c "$CG" --max-entries 4096 127.0.0.12

# ---- run upgrades it too, then reads it, and leaves it attached -----------------------------
check "upgrade: the old instance again" old_instance
if start_reader upgrun -c "$CG" -b 127.0.0.9; then
	check "upgrade: run upgrades it first" grep -q "upgraded egress program id" "$TMP/upgrun.err"
	probe "$CG" udp 127.0.0.2 >/dev/null
	check "upgrade: ... and reads its events" wait_for "$TMP/upgrun.out" "^LOG: DST 127.0.0.2, ACTION 0$" 5
	stop_tool "$tool_pid" TERM
	check "upgrade: ... exits 0 and leaves it attached, map layout 2" \
		eval 'test $? = 0 && test "$(prog_count "$CG")" = 1 && test "$(layout_of)" = 2'
	check "upgrade: ... with the list, counters, and run's address" \
		test "$(list_of | tr '\n' ' ')" = "10.60.0.0/16 0 127.0.0.2 4 127.0.0.3 0 127.0.0.9 0 "
else
	bad "upgrade: run on the old instance" "$(head -c 300 "$TMP/upgrun.err")"
fi

# ---- other instructions, the same maps: an earlier version's program is replaced -----------
# --packet-access helper loads the program with other instructions and the same maps.
"$BIN" detach -c "$CG" >/dev/null 2>&1
expect_exit "upgrade: an instance of other instructions (--packet-access helper)" 0 \
	"blocking 1 address" -- block -c "$CG" --packet-access helper 127.0.0.2
for _ in 1 2; do probe "$CG" udp 127.0.0.2 >/dev/null; done
old_prog=$(prog_of)
expect_exit "upgrade: block with this version's program replaces it (-v: the tags differ)" 0 \
	"upgraded egress program id $old_prog on $CG to program id" -- block -c "$CG" 127.0.0.9
check "upgrade: ... the same maps: list and counters as they were, and the new address" \
	test "$(list_of | tr '\n' ' ')" = "127.0.0.2 2 127.0.0.9 0 "
check "upgrade: ... one program, and it blocks" \
	eval 'test "$(prog_count "$CG")" = 1 && test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"'
new_prog=$(prog_of)
expect_exit "upgrade: block again, the same instructions: nothing replaced (-v)" 0 \
	"the same instructions as program id $new_prog" -- block -v -c "$CG" 127.0.0.10
check "upgrade: ... the program id unchanged" test "$(prog_of)" = "$new_prog"

# In multi mode, BPF_F_REPLACE (Linux 5.6) puts the new program in the old one's place.
"$BIN" detach -c "$CG" >/dev/null 2>&1
"$BIN" block -c "$CG" --attach-mode multi --packet-access helper 127.0.0.2 >/dev/null 2>&1
old_prog=$(prog_of)
expect_exit "upgrade: in multi mode, with BPF_F_REPLACE (-v)" 0 "BPF_F_REPLACE: program id [0-9]* in place of $old_prog" -- \
	block -v -c "$CG" --attach-mode multi 127.0.0.9
check "upgrade: ... one program on the hook, the new one, in multi mode" \
	eval 'test "$(prog_count "$CG")" = 1 && test "$(prog_of)" != "$old_prog" &&
		"$BIN" status -c "$CG" --json | grep -q "\"mode\":\"multi\""'

# ---- what cannot be upgraded is left as it was ---------------------------------------------
check "upgrade: the old instance again" old_instance
old_prog=$(prog_of)
expect_exit "upgrade: in another attach mode: refused, exit 2" 2 "give its --attach-mode to upgrade it" -- \
	block -c "$CG" --attach-mode multi 127.0.0.9
check "upgrade: ... left as it was" eval 'test "$(prog_of)" = "$old_prog" && test "$(layout_of)" = 1'

# ---- the flood: datagrams throughout an upgrade, 20 times --------------------------------
leaked=0 rounds=0
for round in $(seq 1 20); do
	old_instance
	"$HELPER" -g "$CG" stream 127.0.0.2 "$PORT" 400 >"$TMP/kept.out" &
	kept=$!
	pids+=("$kept")
	sleep 0.1
	"$BIN" block -c "$CG" 127.0.0.9 >/dev/null 2>"$TMP/up.err" || echo "    round $round: $(cat "$TMP/up.err")"
	wait "$kept"
	read -r _ k_sent _ _ _ _ _ _ <"$TMP/kept.out"
	[ "$(layout_of)" = 2 ] && rounds=$((rounds + 1))
	leaked=$((leaked + k_sent))
done
check "upgrade flood: 20 upgrades under a stream to a blocked address, none went out ($rounds upgraded, $leaked sent)" \
	test "$rounds/$leaked" = 20/0

# ---- each bpf(2) call of an upgrade failing in turn ----------------------------------------
old_instance
list_of >"$TMP/u-before.list"
calls=$(strace -f -qq -e trace=bpf -o "$TMP/u.trace" "$BIN" block -c "$CG" 127.0.0.9 2>/dev/null && grep -c 'bpf(' "$TMP/u.trace")
list_of >"$TMP/u-after.list"
bad_n=""
for ((n = 1; n <= ${calls:-0}; n++)); do
	old_instance
	old_prog=$(prog_of)
	strace -f -qq -o /dev/null -e trace=bpf -e inject="bpf:error=EPERM:when=$n" \
		"$BIN" block -c "$CG" 127.0.0.9 >/dev/null 2>"$TMP/u.err"
	rc=$?
	if [ "$rc" != 0 ] && cmp -s "$TMP/u-before.list" <(list_of) && [ "$(prog_of)" = "$old_prog" ]; then
		:
	elif [ "$rc" = 0 ] && cmp -s "$TMP/u-after.list" <(list_of); then
		:
	else
		bad_n="$bad_n $n(rc $rc)"
	fi
	[ "$(prog_count "$CG")" = 1 ] || bad_n="$bad_n $n(programs $(prog_count "$CG"))"
done
echo "    upgrade: a block that upgrades makes ${calls:-?} bpf(2) calls"
check "upgrade: each of the ${calls:-?} bpf(2) calls failing: the old instance as it was, or the new one" \
	eval 'test "${calls:-0}" -gt 20 && test -z "$bad_n"'
[ -z "$bad_n" ] || echo "    failing calls:$bad_n"
"$BIN" detach -c "$CG" >/dev/null 2>&1

# ---- what issue 16's block left: the second layout, before allow entries ------------------
# Same maps, other instructions: `allow` puts this version's program in its
# place (the kernel's tags differ), on the same maps, list and counters.
LAYOUT2=build/test/layout2.bpf.o
expect_exit "upgrade: the second layout's program attached (--object, as issue 16's block left it)" 0 \
	"attached program id" -- block -c "$CG" --object "$LAYOUT2" 127.0.0.0/8
old_prog=$(prog_of)
probe "$CG" udp 127.0.0.2 >/dev/null
expect_exit "upgrade: allow on it replaces its program, on the same maps" 0 "added 1 address" -- \
	allow -c "$CG" 127.0.0.2
check "upgrade: ... another program id on the hook, one program" \
	eval 'test "$(prog_of)" != "$old_prog" && test "$(prog_count "$CG")" = 1'
check "upgrade: ... and the allow entry works: 127.0.0.2 passes, 127.0.0.3 is dropped" \
	test "$(probe "$CG" udp 127.0.0.2) / $(probe "$CG" udp 127.0.0.3)" = "udp passed / $DROPPED"
expect_exit "upgrade: ... the prefix kept its counter (1 before, 1 since)" 0 "^127.0.0.0/8 2$" -- list -c "$CG"
expect_exit "upgrade: its CONFIG has no verdicts: status --json says null, not 0" 0 \
	'"default":"allow","entry_drops":null,"allowed":null,"denied":null' -- status --json -c "$CG"
expect_exit "upgrade: default deny works on it too" 0 "the default on $CG is deny now" -- \
	block -c "$CG" --default deny
check "upgrade: ... 127.0.0.1 (not allowed) is dropped, 127.0.0.2 passes" \
	test "$(probe "$CG" udp 127.0.0.1) / $(probe "$CG" udp 127.0.0.2)" = "$DROPPED / udp passed"
"$BIN" detach -c "$CG" >/dev/null 2>&1
