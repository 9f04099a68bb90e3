# oneshot.sh - block, unblock, list, log and run on a persistent instance,
# each a separate process, against the real kernel (root). Sourced at the
# end of test/e2e.sh, so it runs for the static and the ASan build; uses its
# loopback servers on 127.0.0.1 and 127.0.0.2 ($PORT).
# shellcheck shell=bash

DROPPED="udp blocked: send: Operation not permitted"
new_cgroup

# ---- exit 3 and usage before anything exists ------------------------------------
for cmd in unblock list log detach status; do
	args=()
	[ "$cmd" = unblock ] && args=(127.0.0.2)
	expect_exit "oneshot: $cmd with nothing of ours attached: exit 3" 3 "" -- "$cmd" -c "$CG" "${args[@]}"
done
expect_exit "oneshot: block needs an address" 2 "block needs at least one address" -- block -c "$CG"
expect_exit "oneshot: unblock takes no --max-entries" 2 "unblock does not take --max-entries" -- \
	unblock -c "$CG" --max-entries 5 127.0.0.2
expect_exit "oneshot: log takes no addresses" 2 "log does not take addresses" -- log -c "$CG" -b 127.0.0.2
expect_exit "oneshot: block --help shows block only" 0 "block \[-c PATH|--unit NAME|--pid PID\] ADDR" -- block --help
check "oneshot: block --help leaves out the reader's options" eval '! grep -q -- --ring-pages "$TMP/cli.out"'
printf '127.0.0.2\n127.0.0.300\n' >"$TMP/oneshot-bad.txt"
expect_exit "oneshot: block with a bad line: exit 2, named" 2 "$TMP/oneshot-bad.txt:2: '127.0.0.300' is not an IPv4" -- \
	block -c "$CG" -f "$TMP/oneshot-bad.txt"
check "oneshot: a bad line attaches nothing" test "$(prog_count "$CG")" = 0

# ---- block in one process, see it from later ones ---------------------------------
expect_exit "oneshot: block exits 0 and says it stays attached" 0 \
	"attached program id [0-9]* to $CG (egress, mode single), blocking 2 addresses; it stays attached" -- \
	block -c "$CG" 127.0.0.2 127.1.2.3
check "oneshot: one program on the hook after block exited" test "$(prog_count "$CG")" = 1
check "oneshot: UDP from the cgroup to 127.0.0.2 is dropped by the next process" \
	test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"
check "oneshot: TCP to 127.0.0.2 fails" grep -q "^tcp blocked" <(probe "$CG" tcp 127.0.0.2)
check "oneshot: 127.0.0.1 passes" test "$(probe "$CG" udp 127.0.0.1)" = "udp passed"
expect_exit "oneshot: status: persistent, nobody holds it" 0 \
	"(cgroup-skb-egress, mode single, persistent: stays until detach, logging none)" -- status -c "$CG"
expect_exit "oneshot: status --json: persistent" 0 '"persistent":true,"log":"none","holder_pid":0,' -- status -c "$CG" --json
# No silent loss: a program asked for events with nowhere to send them (no
# reader, so no perf ring in EVENTS) counts each one the kernel refuses, and
# status says how many. CONFIG is set to "all" from outside, with bpftool.
config_map_id() { # the CONFIG map of the program on $CG
	local id
	for id in $(bpftool prog show id "$(status_prog_id)" | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p' | tr ',' ' '); do
		bpftool map show id "$id" | grep -q " name CONFIG " && echo "$id"
	done
}
status_prog_id() { "$BIN" status -c "$CG" 2>/dev/null | sed -n 's/.* egress program id \([0-9]*\) .*/\1/p'; }
if command -v bpftool >/dev/null; then
	config_id=$(config_map_id)
	bpftool map update id "$config_id" key 0 0 0 0 value 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 >/dev/null 2>&1
	for _ in 1 2 3; do probe "$CG" udp 127.0.0.1 >/dev/null; done
	expect_exit "oneshot: status counts the 3 events the kernel refused (no ring)" 0 \
		"logging all), .*, 3 events not sent (No such file or directory)$" -- status -c "$CG"
	expect_exit "oneshot: status --json: unsent 3" 0 '"unsent":3,"lost":0}' -- status -c "$CG" --json
	bpftool map update id "$config_id" key 0 0 0 0 value 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 >/dev/null 2>&1
	probe "$CG" udp 127.0.0.1 >/dev/null
	expect_exit "oneshot: with CONFIG back at none, nothing is sent and the count stays" 0 \
		'"log":"none",.*"unsent":3,"lost":0}' -- status -c "$CG" --json
else
	echo "SKIPPED: the unsent count (bpftool is not installed)"
	[ "${CI:-}" = true ] && bad "oneshot: unsent" "bpftool not installed under CI=true (test/deps.sh installs it)"
fi
for _ in 1 2 3; do probe "$CG" udp 127.1.2.3 >/dev/null; done
expect_exit "oneshot: list: the counter grew by the 3 packets sent" 0 "^127.1.2.3 3$" -- list -c "$CG"
expect_exit "oneshot: block again: one entry, counter kept" 0 \
	"added 1 address to program id [0-9]* on $CG (1 already there)" -- block -c "$CG" 127.1.2.3 127.0.0.9
expect_exit "oneshot: list after the second block" 0 "^127.1.2.3 3$" -- list -c "$CG"
check "oneshot: three entries, one program" \
	test "$(wc -l <"$TMP/cli.out")/$(prog_count "$CG")" = "3/1"
expect_exit "oneshot: a bad line changes nothing on an attached instance" 2 "oneshot-bad.txt:2:" -- \
	block -c "$CG" -f "$TMP/oneshot-bad.txt"
expect_exit "oneshot: list unchanged after the bad file" 0 "^127.0.0.9 0$" -- list -c "$CG"
check "oneshot: still three entries" test "$(wc -l <"$TMP/cli.out")" = 3

# ---- unblock ------------------------------------------------------------------------
expect_exit "oneshot: unblock --strict of an absent address: exit 1" 1 \
	"1 address is not blocked on $CG (127.0.0.5); --strict: nothing was removed" -- \
	unblock -c "$CG" --strict 127.0.0.9 127.0.0.5
expect_exit "oneshot: --strict removed nothing" 0 "^127.0.0.9 0$" -- list -c "$CG"
expect_exit "oneshot: unblock of an absent address is reported, not an error" 0 \
	"removed 1 address from program id [0-9]* on $CG; 1 was not blocked (127.0.0.5)" -- \
	unblock -c "$CG" 127.0.0.9 127.0.0.5
expect_exit "oneshot: unblock 127.0.0.2" 0 "removed 1 address" -- unblock -c "$CG" 127.0.0.2
check "oneshot: after unblock 127.0.0.2 passes again" test "$(probe "$CG" udp 127.0.0.2)" = "udp passed"
check "oneshot: 127.1.2.3 is still dropped" test "$(probe "$CG" udp 127.1.2.3)" = "$DROPPED"

# ---- log, and run on the persistent instance ---------------------------------------
if start_reader log log -c "$CG"; then
	log_pid=$tool_pid
	read -r reader <"/proc/$log_pid/task/$log_pid/children" # timeout's child
	probe "$CG" udp 127.1.2.3 >/dev/null
	probe "$CG" udp 127.0.0.1 >/dev/null
	check "oneshot: log prints the dropped packet" wait_for "$TMP/log.out" "^LOG: DST 127.1.2.3, ACTION 0$" 3
	check "oneshot: log prints the passed packet" wait_for "$TMP/log.out" "^LOG: DST 127.0.0.1, ACTION 1$" 3
	expect_exit "oneshot: a second reader is refused" 1 "is already read by pid $reader" -- log -c "$CG"
	expect_exit "oneshot: run is refused while log reads" 1 "is already read by pid $reader" -- run -c "$CG"
	expect_exit "oneshot: status names the reader, and its log mode" 0 "persistent, read by pid $reader, logging all)" -- status -c "$CG"
	stop_tool "$log_pid" TERM
	check "oneshot: log stops on SIGTERM with exit 0" test $? = 0
	check "oneshot: the program stays attached after log" test "$(prog_count "$CG")" = 1
	expect_exit "oneshot: ... and sends no more events" 0 "logging none)" -- status -c "$CG"
else
	bad "oneshot: log starts" "$(head -c 500 "$TMP/log.err")"
fi
if start_reader reuse run -c "$CG" -b 127.0.0.2 --json; then
	run_pid=$tool_pid
	check "oneshot: run reuses the instance: still one program" test "$(prog_count "$CG")" = 1
	check "oneshot: run added its address" test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"
	check "oneshot: run --json prints JSON lines" \
		wait_for "$TMP/reuse.out" '^{"family":"ipv4","address":"127.0.0.2","action":0,"direction":"egress"}$' 3
	expect_exit "oneshot: block adds to an instance a run reads" 0 "added 1 address" -- block -c "$CG" 127.0.0.7
	probe "$CG" udp 127.0.0.7 >/dev/null
	check "oneshot: ... and the run still gets events (block leaves the log mode alone)" \
		wait_for "$TMP/reuse.out" '^{"family":"ipv4","address":"127.0.0.7","action":0,"direction":"egress"}$' 3
	stop_tool "$run_pid" TERM
	check "oneshot: run on a persistent instance exits 0" test $? = 0
	check "oneshot: and leaves it attached" test "$(prog_count "$CG")" = 1
	check "oneshot: the address run added stays blocked" test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"
else
	bad "oneshot: run reuses" "$(head -c 500 "$TMP/reuse.err")"
fi

# ---- a full blocklist ---------------------------------------------------------------
expect_exit "oneshot: detach ends blocking" 0 "detached egress program id [0-9]* from $CG$" -- detach -c "$CG"
check "oneshot: detach leaves zero programs, traffic passes" \
	test "$(prog_count "$CG")/$(probe "$CG" udp 127.0.0.2)" = "0/udp passed"
expect_exit "oneshot: block --max-entries 3" 0 "blocking 2 addresses" -- \
	block -c "$CG" --max-entries 3 127.0.0.2 127.0.0.3
expect_exit "oneshot: more than fits: exit 1, nothing added" 1 "it is full (3 entries" -- \
	block -c "$CG" 127.0.0.4 127.0.0.5 127.0.0.6
expect_exit "oneshot: the full list is as it was" 0 "^127.0.0.3 0$" -- list -c "$CG"
check "oneshot: still two entries" test "$(wc -l <"$TMP/cli.out")" = 2

# ---- log ends when the program goes --------------------------------------------------
if start_reader log2 log -c "$CG"; then
	log_pid=$tool_pid
	"$BIN" detach -c "$CG" 2>/dev/null
	wait "$log_pid" # it ends by itself within a second (timeout bounds it)
	check "oneshot: log exits 0 when its program is detached" test $? = 0
	check "oneshot: and says so" grep -q "was detached from $CG; nothing left to read" "$TMP/log2.err"
else
	bad "oneshot: log on detach" "$(head -c 500 "$TMP/log2.err")"
fi

# ---- prefixes are matched exactly when added or removed -------------------------
# (A lookup in the trie answers for a covering prefix too: 10.0.0.0/8 "has" 10.1.0.0/16.)
expect_exit "oneshot: block a /8" 0 "blocking 1 address" -- block -c "$CG" 10.0.0.0/8
expect_exit "oneshot: a /16 inside it is a new entry, not 'already there'" 0 \
	"added 1 address to program id [0-9]* on $CG (0 already there)" -- block -c "$CG" 10.1.0.0/16
expect_exit "oneshot: unblock --strict of a /16 covered by the /8 but not there: refused" 1 \
	"(10.2.0.0/16); --strict: nothing was removed" -- unblock -c "$CG" --strict 10.2.0.0/16
expect_exit "oneshot: unblock the /8" 0 "removed 1 address" -- unblock -c "$CG" 10.0.0.0/8
expect_exit "oneshot: the /16 is still there" 0 "^10.1.0.0/16 0$" -- list -c "$CG"
check "oneshot: and only it" test "$(wc -l <"$TMP/cli.out")" = 1
"$BIN" detach -c "$CG" 2>/dev/null

# ---- all or nothing: a failure half-way through is undone ------------------------------
# The n-th bpf(2) call that is the k-th of a kind, found by a dry run on a twin
# cgroup in the same state, then made to fail on ours (strace -e inject).
nth_call() { # TRACE CMD K
	grep 'bpf(' "$1" | grep -n "$2" | sed -n "$3p" | cut -d: -f1
}
if command -v strace >/dev/null; then
	twin=$CG-twin
	mkdir "$twin" && cgroups=("$twin" "${cgroups[@]}")
	awk 'BEGIN { for (i = 0; i < 5000; i++) printf "10.3.%d.%d\n", i / 256, i % 256 }' >"$TMP/set-c.txt"
	for c in "$CG" "$twin"; do "$BIN" block -c "$c" --max-entries 10000 127.0.0.2 127.0.0.3 2>/dev/null; done
	for _ in 1 2; do probe "$CG" udp 127.0.0.2 >/dev/null; done
	"$BIN" list -c "$CG" >"$TMP/before.list" 2>/dev/null
	strace -f -qq -o "$TMP/twin.trace" -e trace=bpf "$BIN" block -c "$twin" -f "$TMP/set-c.txt" 2>/dev/null
	n=$(nth_call "$TMP/twin.trace" BPF_MAP_UPDATE_BATCH 2)
	strace -f -qq -o /dev/null -e trace=bpf -e inject=bpf:error=EPERM:when="${n:-1}" \
		"$BIN" block -c "$CG" -f "$TMP/set-c.txt" >/dev/null 2>"$TMP/half.err"
	check "oneshot: the second batch of a block fails: exit 1 (call ${n:-?})" test $? = 1
	# More than one call: through the switch, which fills set B first. 4096
	# keys per batch: the second starts at the 4097th address.
	check "oneshot: ... names the address and says the list is as it was" \
		grep -q "putting 10.3.16.0 into set B of $CG: Operation not permitted; the list is as it was" "$TMP/half.err"
	"$BIN" list -c "$CG" >"$TMP/after.list" 2>/dev/null
	check "oneshot: ... and the list is as before, counters too" cmp -s "$TMP/before.list" "$TMP/after.list"
	# The twin back in the state ours is in, the block having failed there.
	"$BIN" replace -c "$twin" 127.0.0.2 127.0.0.3 2>/dev/null
	strace -f -qq -o "$TMP/twin.trace" -e trace=bpf "$BIN" unblock -c "$twin" 127.0.0.2 127.0.0.3 2>/dev/null
	# Two addresses: through the switch, whose one update of ACTIVE fails.
	n=$(nth_call "$TMP/twin.trace" BPF_MAP_UPDATE_ELEM 1)
	strace -f -qq -o /dev/null -e trace=bpf -e inject=bpf:error=EPERM:when="${n:-1}" \
		"$BIN" unblock -c "$CG" 127.0.0.2 127.0.0.3 >/dev/null 2>"$TMP/half.err"
	check "oneshot: the switch of an unblock fails: exit 1 (call ${n:-?})" test $? = 1
	check "oneshot: ... and says the list is as it was" grep -q "Operation not permitted; it is as it was" "$TMP/half.err"
	"$BIN" list -c "$CG" >"$TMP/after.list" 2>/dev/null
	check "oneshot: ... and the first address is back with its 2 drops" cmp -s "$TMP/before.list" "$TMP/after.list"
	"$BIN" detach -c "$CG" 2>/dev/null
	"$BIN" detach -c "$twin" 2>/dev/null
	rmdir "$twin"
else
	bad "oneshot: all or nothing" "strace is not installed (.ci/run installs it)"
fi

# ---- concurrency: two blocks at once end with one program and both sets ---------------
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "10.1.%d.%d\n", i / 256, i % 256 }' >"$TMP/set-a.txt"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "10.2.%d.%d\n", i / 256, i % 256 }' >"$TMP/set-b.txt"
for round in 1 2 3; do
	"$BIN" block -c "$CG" --max-entries 10000 -f "$TMP/set-a.txt" 2>"$TMP/conc-a.err" &
	a=$!
	"$BIN" block -c "$CG" --max-entries 10000 -f "$TMP/set-b.txt" 2>"$TMP/conc-b.err" &
	b=$!
	wait "$a"
	ra=$?
	wait "$b"
	rb=$?
	"$BIN" list -c "$CG" >"$TMP/conc.list" 2>/dev/null
	check "oneshot: concurrent blocks, round $round: both exit 0, one program, 6000 entries" \
		test "$ra/$rb/$(prog_count "$CG")/$(wc -l <"$TMP/conc.list")" = "0/0/1/6000"
	"$BIN" detach -c "$CG" 2>/dev/null
done

# ---- a 100,000-line file, all in, and all out ------------------------------------------
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "10.%d.%d.%d\n", i / 65536, (i / 256) % 256, i % 256 }' >"$TMP/big.txt"
expect_exit "oneshot: block -f with 100,000 lines" 0 "blocking 100000 addresses" -- \
	block -c "$CG" --max-entries 100000 -f "$TMP/big.txt"
"$BIN" list -c "$CG" >"$TMP/big.list" 2>/dev/null
check "oneshot: list shows all 100,000" test "$(wc -l <"$TMP/big.list")" = 100000
expect_exit "oneshot: unblock -f - of the same 100,000" 0 "removed 100000 addresses" -- \
	unblock -c "$CG" -f - <"$TMP/big.txt"
expect_exit "oneshot: the list is empty, the program still there" 0 "holds 0 of 100000 entries" -- status -c "$CG"
"$BIN" detach -c "$CG" 2>/dev/null

# ---- others' programs, a foreground run, and a killed run ------------------------------
"$HELPER" attach-foreign "$CG" multi
expect_exit "oneshot: block in single mode next to a foreign program: refused" 1 "refusing to replace it" -- \
	block -c "$CG" 127.0.0.2
expect_exit "oneshot: block --attach-mode multi runs next to it" 0 "stays attached" -- \
	block -c "$CG" --attach-mode multi 127.0.0.2
check "oneshot: two programs on the hook" test "$(prog_count "$CG")" = 2
expect_exit "oneshot: unblock leaves the foreign program alone" 0 "removed 1 address" -- unblock -c "$CG" 127.0.0.2
expect_exit "oneshot: detach takes ours only" 0 "left egress program id [0-9]* on $CG alone: it is not ours" -- \
	detach -c "$CG"
check "oneshot: the foreign program is still attached" test "$(prog_count "$CG")" = 1
"$HELPER" detach-all "$CG"
if start_tool fg -c "$CG" -b 127.0.0.2; then
	fg_pid=$tool_pid
	expect_exit "oneshot: block refuses while a foreground run owns the hook" 1 \
		"belongs to a running cgroup-skb-egress (pid" -- block -c "$CG" 127.0.0.7
	kill -KILL "$(cat "/proc/$fg_pid/task/$fg_pid/children")"
	wait "$fg_pid" 2>/dev/null
	expect_exit "oneshot: block replaces a killed run's left-over" 0 "ours will replace it" -- \
		block -c "$CG" 127.0.0.7
	check "oneshot: one program, now persistent, with block's list" \
		test "$(prog_count "$CG")/$(probe "$CG" udp 127.0.0.2)/$(probe "$CG" udp 127.0.0.7)" = "1/udp passed/$DROPPED"
	"$BIN" detach -c "$CG" 2>/dev/null
else
	bad "oneshot: foreground run" "$(head -c 500 "$TMP/fg.err")"
fi
check "oneshot: nothing left on the hook" test "$(prog_count "$CG")" = 0
