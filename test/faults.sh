# faults.sh - faults from outside and inside (root). Sourced by test/run.sh
# after test/e2e.sh, with CG, PORT and the servers still there.
#
# Every case checks what an operator relies on: a clear message, the right
# exit status, no program of ours left on the hook, and (where the kernel is
# involved) the same BPF program and map ids before and after: no kernel
# object leaked.
# shellcheck shell=bash

ids() { "$HELPER" ids; }
# settled_ids: the ids once objects of earlier runs, still being freed, are gone
settled_ids() {
	local a b i
	b=$(ids)
	for ((i = 0; i < 30; i++)); do
		sleep 0.1
		a=$b
		b=$(ids)
		[ "$a" = "$b" ] && break
	done
	echo "$b"
}
# ids_are EXPECTED: the kernel frees programs and maps after an RCU grace
# period, not when the last fd closes; give it up to 3 s to get there.
ids_are() {
	local i
	for ((i = 0; i < 60; i++)); do
		[ "$(ids)" = "$1" ] && return 0
		sleep 0.05
	done
	echo "    ids now:    $(ids)"
	echo "    ids wanted: $1"
	return 1
}

# ---- from outside: someone detaches us, the cgroup goes away ----------------
if start_tool outside -c "$CG" -b 127.0.0.2; then
	"$HELPER" detach-all "$CG"
	wait_for "$TMP/outside.err" "was detached from" 5
	check "faults: detached from outside: noticed and said" \
		grep -q "program id [0-9]* was detached from $CG by someone else (bpftool cgroup detach?); blocking has stopped; exiting" "$TMP/outside.err"
	stop_tool "$tool_pid" TERM
	check "faults: detached from outside: exit 1" test $? = 1
else
	bad "faults: detached from outside" "$(head -c 500 "$TMP/outside.err")"
fi

ids_before=$(settled_ids)
new_cgroup
doomed=$CG
if start_tool removed -c "$doomed" -b 127.0.0.2; then
	rmdir "$doomed"
	wait_for "$TMP/removed.err" "was removed" 5
	check "faults: cgroup removed while running: noticed and said" \
		grep -q "cgroup $doomed was removed; detaching and exiting" "$TMP/removed.err"
	stop_tool "$tool_pid" TERM
	check "faults: cgroup removed while running: exit 0" test $? = 0
	check "faults: cgroup removed while running: no program or map left" ids_are "$ids_before"
else
	bad "faults: cgroup removed" "$(head -c 500 "$TMP/removed.err")"
fi
new_cgroup

# ---- foreign programs on the hook, in each attach mode -----------------------
# foreign MODE: for each of our modes, the expected outcome, then that the
# foreign program is still there with the same id.
for foreign in single override multi; do
	"$HELPER" attach-foreign "$CG" "$foreign"
	foreign_ids=$(settled_ids)
	for mode in single override multi; do
		if [ "$foreign" = multi ] && [ "$mode" = multi ]; then
			if start_tool coexist -c "$CG" --attach-mode multi -b 127.0.0.2; then
				check "faults: foreign $foreign, ours $mode: both on the hook" test "$(prog_count "$CG")" = 2
				stop_tool "$tool_pid" TERM
				check "faults: foreign $foreign, ours $mode: ours leaves, exit 0" test "$?/$(prog_count "$CG")" = 0/1
			else
				bad "faults: foreign $foreign, ours $mode" "$(head -c 500 "$TMP/coexist.err")"
			fi
		elif [ "$mode" = multi ]; then
			expect_exit "faults: foreign $foreign, ours $mode: refused" 1 \
				"attached in mode $foreign, which allows no other program; detach it first" \
				-- -c "$CG" --attach-mode "$mode"
		else
			expect_exit "faults: foreign $foreign, ours $mode: refused, never replaced" 1 \
				"already has egress program id [0-9]* attached (mode $foreign); refusing to replace it" \
				-- -c "$CG" --attach-mode "$mode"
		fi
		check "faults: foreign $foreign, ours $mode: foreign program untouched" \
			eval 'test "$(prog_count "$CG")" = 1 && ids_are "$foreign_ids"'
	done
	"$HELPER" detach-all "$CG"
done

# 64 programs: the kernel's limit per hook (BPF_CGROUP_MAX_PROGS).
"$HELPER" attach-foreign "$CG" multi 64
expect_exit "faults: 64 programs on the hook: E2BIG explained" 1 \
	"Argument list too long; the hook already holds the kernel's limit of 64 programs" \
	-- -c "$CG" --attach-mode multi
check "faults: 64 programs on the hook: still 64" test "$(prog_count "$CG")" = 64
"$HELPER" detach-all "$CG"

# ---- signals at any moment -------------------------------------------------
# During setup: strace delivers the signal at the N-th bpf(2) call.
if command -v strace >/dev/null; then
	ids_before=$(settled_ids)
	for sig in INT TERM HUP; do
		for n in 1 2 3 4 5 6 7 8 9; do
			timeout -k 5 20 strace -f -qq -o /dev/null -e trace=bpf -e "inject=bpf:signal=SIG$sig:when=$n" \
				"$BIN" -c "$CG" -b 127.0.0.2 >/dev/null 2>"$TMP/sig.err"
			rc=$?
			if [ "$rc" != 0 ] || [ "$(prog_count "$CG")" != 0 ] || ! ids_are "$ids_before"; then
				bad "faults: SIG$sig at bpf call $n" "exit $rc, $(prog_count "$CG") attached, $(tail -c 300 "$TMP/sig.err")"
				"$HELPER" detach-all "$CG"
			else
				ok "faults: SIG$sig at bpf call $n: exit 0, nothing left"
			fi
		done
	done
else
	bad "faults: signals during setup" "strace is not installed (.ci/run installs it)"
fi
# While running, at random moments.
for i in 1 2 3 4 5 6; do
	sig=$(echo INT TERM HUP | cut -d' ' -f$((i % 3 + 1)))
	: >"$TMP/rand.err"
	"$BIN" -c "$CG" -b 127.0.0.2 >/dev/null 2>"$TMP/rand.err" &
	p=$!
	pids+=("$p")
	sleep "0.$((RANDOM % 400))"
	stop_tool "$p" "$sig"
	rc=$?
	check "faults: SIG$sig after a random delay: exit 0, nothing attached" \
		test "$rc/$(prog_count "$CG")" = "0/0"
done
