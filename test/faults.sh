# faults.sh - faults from outside and inside (root). Sourced by test/run.sh
# after test/e2e.sh, with CG, PORT and the servers still there.
#
# Every case checks what an operator relies on: a clear message, the right
# exit status, no program of ours left on the hook, and (where the kernel is
# involved) the same BPF program and map ids before and after: no kernel
# object leaked.
# shellcheck shell=bash

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

# ---- SIGKILL: the program stays (fails closed); the next run replaces it -----
for mode in single multi; do
	if start_tool killed -c "$CG" --attach-mode "$mode" -b 127.0.0.2; then
		# $tool_pid is timeout(1); the tool is its child.
		kill -KILL "$(cat "/proc/$tool_pid/task/$tool_pid/children")"
		wait "$tool_pid" 2>/dev/null
		check "faults: SIGKILL ($mode): the program stays attached and keeps blocking" \
			test "$(prog_count "$CG")/$(probe "$CG" udp 127.0.0.2)" = "1/udp blocked: send: Operation not permitted"
		if start_tool next -c "$CG" --attach-mode "$mode" -b 127.0.0.2; then
			check "faults: SIGKILL ($mode): the next run says it replaces the left-over" \
				eval 'grep -q "was left attached by a cgroup-skb-egress that was killed; ours will replace it" "$TMP/next.err" && grep -q "replaced the left-over program id" "$TMP/next.err"'
			check "faults: SIGKILL ($mode): one program on the hook, still blocking" \
				test "$(prog_count "$CG")/$(probe "$CG" udp 127.0.0.2)" = "1/udp blocked: send: Operation not permitted"
			stop_tool "$tool_pid" TERM
			check "faults: SIGKILL ($mode): then SIGTERM leaves nothing" test "$?/$(prog_count "$CG")" = 0/0
		else
			bad "faults: SIGKILL ($mode): next run" "$(head -c 500 "$TMP/next.err")"
		fi
	else
		bad "faults: SIGKILL ($mode)" "$(head -c 500 "$TMP/killed.err")"
	fi
	"$HELPER" detach-all "$CG"
done
# A live instance is never replaced, even though it is "ours".
if start_tool live -c "$CG" -b 127.0.0.2; then
	expect_exit "faults: a running instance is not replaced" 1 \
		"belongs to a running cgroup-skb-egress (pid [0-9]*)" -- -c "$CG" -b 127.0.0.3
	stop_tool "$tool_pid" TERM
fi

# ---- someone replaces our program (single mode): we must not detach theirs ----
if start_tool replaced -c "$CG" -b 127.0.0.2; then
	"$HELPER" attach-foreign "$CG" single # flags 0 on flags 0: the kernel replaces ours
	stop_tool "$tool_pid" TERM
	check "faults: replaced from outside: the newcomer stays attached" test "$(prog_count "$CG")" = 1
	check "faults: replaced from outside: said, not detached" \
		grep -Eq "no longer on the egress hook of $CG \(another program replaced it\); leaving the hook as it is|was detached from $CG by someone else" "$TMP/replaced.err"
	"$HELPER" detach-all "$CG"
else
	bad "faults: replaced from outside" "$(head -c 500 "$TMP/replaced.err")"
fi

# ---- two instances starting at once: the cgroup's flock serialises them ------
for i in 1 2 3 4 5; do
	: >"$TMP/race1.err"
	: >"$TMP/race2.err"
	"$BIN" -c "$CG" -b 127.0.0.2 >/dev/null 2>"$TMP/race1.err" &
	r1=$!
	"$BIN" -c "$CG" -b 127.1.2.3 >/dev/null 2>"$TMP/race2.err" &
	r2=$!
	pids+=("$r1" "$r2")
	wait_for "$TMP/race1.err" "attached program id\|refusing" 10
	wait_for "$TMP/race2.err" "attached program id\|refusing" 10
	check "faults: two starting at once ($i): one attached, the other refused" \
		test "$(prog_count "$CG")/$(cat "$TMP"/race[12].err | grep -c 'attached program id')/$(cat "$TMP"/race[12].err | grep -c 'refusing to replace')" = 1/1/1
	stop_tool "$r1" TERM 2>/dev/null
	stop_tool "$r2" TERM 2>/dev/null
done
# A held lock is waited for.
flock "$CG" sleep 1 &
holder=$!
pids+=("$holder")
sleep 0.2
if start_tool waiter -c "$CG" -b 127.0.0.2; then
	check "faults: a held cgroup lock is waited for, then it attaches" test "$(prog_count "$CG")" = 1
	stop_tool "$tool_pid" TERM
else
	bad "faults: lock wait" "$(head -c 500 "$TMP/waiter.err")"
fi
wait "$holder"

# ---- a stalled stdout must not make the tool deaf to SIGTERM ----------------
# A reader that holds the pipe open and never reads; a flood fills the pipe.
mkfifo "$TMP/stall"
sleep 60 <"$TMP/stall" &
staller=$!
pids+=("$staller")
: >"$TMP/stall.err"
"$BIN" -c "$CG" -b 127.0.0.2 >"$TMP/stall" 2>"$TMP/stall.err" &
stalled=$!
pids+=("$stalled")
if wait_for "$TMP/stall.err" "attached program id" 10; then
	"$HELPER" -g "$CG" flood 127.0.0.1 9 20000 >/dev/null # ~600 KB of LOG lines, 64 KB fit
	sleep 0.5
	start=$(date +%s%N)
	stop_tool "$stalled" TERM
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	check "faults: stdout stalled: SIGTERM still stops it (exit $rc in $ms ms), nothing attached" \
		test "$rc/$(prog_count "$CG")" = 0/0 -a "$ms" -lt 3000
else
	bad "faults: stdout stalled" "$(head -c 500 "$TMP/stall.err")"
fi
kill "$staller" 2>/dev/null

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
# While running, at random moments; every signal whose default would kill us.
for i in 1 2 3 4 5 6 7 8 9; do
	sig=$(echo INT TERM HUP QUIT USR1 USR2 ALRM XCPU PWR | cut -d' ' -f"$i")
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

# ---- every system call failing, one at a time --------------------------------
# inject SYSCALL ERRNO N: run the tool with the N-th SYSCALL failing with ERRNO
# (strace, which works on the static binary); stop it with SIGTERM if it gets
# as far as attaching. Sets inj_rc and inj_call (the call that failed).
inject() {
	local sc=$1 err=$2 n=$3 tracer tool i
	: >"$TMP/inj.err"
	: >"$TMP/inj.trace"
	# shellcheck disable=SC2086 # INJ_ARGS: more options, split into words
	strace -f -qq -o "$TMP/inj.trace" -e trace="$sc" -e inject="$sc:error=$err:when=$n" \
		"$BIN" ${INJ_ARGS:-} -c "$CG" -b 127.0.0.2 >/dev/null 2>"$TMP/inj.err" &
	tracer=$!
	pids+=("$tracer")
	for ((i = 0; i < 200; i++)); do
		kill -0 "$tracer" 2>/dev/null || break
		if grep -q "attached program id" "$TMP/inj.err"; then
			# Signal the tool, not strace: strace would just let go of it.
			tool=$(cat "/proc/$tracer/task/$tracer/children" 2>/dev/null)
			[ -n "$tool" ] && kill -TERM $tool
			break
		fi
		sleep 0.05
	done
	stop_tool "$tracer" TERM 2>/dev/null
	inj_rc=$?
	inj_call=$(grep -m1 'INJECTED' "$TMP/inj.trace" | sed 's/^[0-9]* *//; s/(\([A-Z_]*\).*/ \1/; s/, .*//')
}

errno_words() {
	case $1 in
	EPERM) echo "Operation not permitted" ;;
	ENOMEM) echo "Out of memory" ;;
	EINVAL) echo "Invalid argument" ;;
	E2BIG) echo "Argument list too long" ;;
	ENOSPC) echo "No space left on device" ;;
	EAGAIN) echo "Resource temporarily unavailable" ;;
	EACCES) echo "Permission denied" ;;
	524) echo "Operation not supported by this kernel (ENOTSUPP)" ;;
	ENOSYS) echo "Function not implemented" ;;
	ENOENT) echo "No such file or directory" ;;
	esac
}

# The invariant after any single fault: exit 0 (recovered, then stopped) or
# 1 (gave up), stderr made of our own one-line messages (and a verifier log),
# nothing on the hook, no kernel object left behind.
fault_case() { # NAME SYSCALL ERRNO N
	local name=$1 why=""
	inject "$2" "$3" "$4"
	# 2 only where the failure looks like bad input (a cgroup path that is not there).
	case $inj_rc in 0 | 1 | 2) ;; *) why="exit $inj_rc" ;; esac
	# "what failed: errno text[; what to do]", naming the failed call's errno.
	if [ "$inj_rc" != 0 ] && ! grep -q "^cgroup-skb-egress: .*: $(errno_words "$3")" "$TMP/inj.err"; then
		why="$why; no message with '$(errno_words "$3")'"
	fi
	if [ "$inj_call" = "bpf BPF_PROG_DETACH" ]; then
		# The one failure that leaves the program attached, and must say so.
		grep -q "it is still attached and blocking" "$TMP/inj.err" || why="$why; no 'still attached'"
		"$HELPER" detach-all "$CG"
	fi
	[ "$(prog_count "$CG")" = 0 ] || why="$why; $(prog_count "$CG") attached"
	ids_are "$ids_before" >/dev/null || why="$why; kernel objects left: $(ids)"
	if [ -z "$why" ]; then
		ok "$name ($inj_call): exit $inj_rc, $(grep -v '^cgroup-skb-egress: \(attached\|detached\|left\)' "$TMP/inj.err" | head -n 1 | cut -c 20-120)"
	else
		bad "$name (${inj_call:-no call failed})" "$why; $(tail -c 300 "$TMP/inj.err")"
	fi
}

if command -v strace >/dev/null; then
	ids_before=$(settled_ids)
	# How many calls a normal run makes, up to and including the detach.
	inject bpf EPERM 1000
	cp "$TMP/inj.trace" "$TMP/normal.trace"
	bpf_calls=$(grep -c 'bpf(' "$TMP/inj.trace")
	perf_calls=$(grep -c 'perf_event_open(' "$TMP/inj.trace" 2>/dev/null)
	check "faults: a traced run attaches and detaches ($bpf_calls bpf calls)" \
		test "$inj_rc/$(prog_count "$CG")" = "0/0"
	for err in EPERM ENOMEM EINVAL E2BIG ENOSPC EAGAIN 524 ENOSYS; do
		for ((n = 1; n <= bpf_calls; n++)); do
			fault_case "faults: bpf call $n fails with $err" bpf "$err" "$n"
		done
	done
	# open and openat: which one libc uses depends on libc and architecture.
	# mmap: malloc turns any failure into ENOMEM, so only that one.
	for sc in perf_event_open mmap ioctl epoll_create1 epoll_ctl signalfd4 open openat; do
		inject "$sc" ENOMEM 1000
		calls=$(grep -c "^[0-9]* *$sc(" "$TMP/inj.trace")
		for ((n = 1; n <= calls; n++)); do
			for err in ENOMEM EACCES ENOENT; do
				[ "$sc" = mmap ] && [ "$err" != ENOMEM ] && continue
				[ "$err" = ENOENT ] && [ "${sc#open}" = "$sc" ] && continue
				fault_case "faults: $sc call $n fails with $err" "$sc" "$err" "$n"
			done
		done
	done
	# A kernel without perf events (CONFIG_PERF_EVENTS off): perf_event_open says
	# ENOSYS, which must not be taken for bpf(2)'s and must name the option,
	# when --events perf asks for the perf rings.
	INJ_ARGS="--events perf" inject perf_event_open ENOSYS 1
	check "faults: --events perf, perf_event_open ENOSYS names CONFIG_PERF_EVENTS, exit 1, nothing attached" \
		eval 'grep -q "Function not implemented; this kernel has no perf events (CONFIG_PERF_EVENTS), or a seccomp filter" "$TMP/inj.err" &&
			[ "$inj_rc/$(prog_count "$CG")" = "1/0" ]'
	# --events auto on such a kernel takes the ring buffer, and logs.
	# traced_run NAME STRACE-INJECTIONS...: the tool, -v, blocking 127.0.0.2
	# under strace; one blocked packet once attached; then SIGTERM.
	traced_run() {
		local name=$1 tracer tool i
		shift
		: >"$TMP/$name.out"
		: >"$TMP/$name.err"
		strace -f -qq -o /dev/null "$@" "$BIN" -v -c "$CG" -b 127.0.0.2 \
			>"$TMP/$name.out" 2>"$TMP/$name.err" &
		tracer=$!
		pids+=("$tracer")
		if wait_for "$TMP/$name.err" "attached program id" 20; then
			probe "$CG" udp 127.0.0.2 >"$TMP/$name.probe"
			sleep 0.3
			tool=$(cat "/proc/$tracer/task/$tracer/children" 2>/dev/null)
			[ -n "$tool" ] && kill -TERM $tool
		fi
		stop_tool "$tracer" TERM 2>/dev/null
	}
	traced_run noperf -e trace=perf_event_open -e inject=perf_event_open:error=ENOSYS
	traced_rc=$?
	check "faults: no perf events, --events auto: the ring buffer, a LOG line, exit 0" \
		eval '[ $traced_rc = 0 ] && grep -q "events will go through ringbuf" "$TMP/noperf.err" &&
			grep -q "^LOG: DST 127.0.0.2, ACTION 0$" "$TMP/noperf.out" &&
			grep -q "detached from $CG; 1 events, 0 lost$" "$TMP/noperf.err" && [ "$(prog_count "$CG")" = 0 ]'
	# No perf events and no ring buffer (a kernel before 5.8): blocking still
	# works, and run says once why there will be no LOG lines.
	traced_run noevents -e trace=perf_event_open,bpf -e inject=perf_event_open:error=ENOSYS \
		-e inject=bpf:error=EINVAL:when=1
	traced_rc=$?
	check "faults: no perf events, no ring buffer: blocks, says once why no LOG lines, exit 0" \
		eval '[ $traced_rc = 0 ] && [ "$(grep -c "this kernel cannot report packets: perf_event_open() fails with Function not implemented (no CONFIG_PERF_EVENTS?), and no BPF ring buffer either (Invalid argument; Linux 5.8+); blocking works, LOG lines cannot" "$TMP/noevents.err")" = 1 ] &&
			grep -q "events will go through none" "$TMP/noevents.err" && [ ! -s "$TMP/noevents.out" ] &&
			grep -q "detached from $CG; 0 events, 0 lost$" "$TMP/noevents.err" && [ "$(prog_count "$CG")" = 0 ]'
	check "faults: no perf events, no ring buffer: the packet was dropped all the same" \
		grep -q "^udp blocked: send: Operation not permitted$" "$TMP/noevents.probe"
	# RLIMIT_MEMLOCK: untouched normally; raised (here to the hard limit: no
	# CAP_SYS_RESOURCE needed) after an EPERM from BPF_MAP_CREATE, then retried.
	memlock_run() { # INJECTION: run with a soft limit of 0, trace the rlimit calls
		: >"$TMP/memlock.err"
		(prlimit --memlock=0:8388608 --pid "$BASHPID" &&
			exec strace -f -qq -o "$TMP/memlock.trace" -e trace=bpf,prlimit64,setrlimit $1 \
				"$BIN" -c "$CG" -b 127.0.0.2) >/dev/null 2>"$TMP/memlock.err" &
		local p=$! i
		pids+=("$p")
		for ((i = 0; i < 100; i++)); do
			grep -q "attached program id" "$TMP/memlock.err" && break
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		# $p is strace; the tool is its child.
		kill -TERM "$(cat "/proc/$p/task/$p/children" 2>/dev/null)" 2>/dev/null
		stop_tool "$p" TERM 2>/dev/null
	}
	memlock_run ""
	check "faults: RLIMIT_MEMLOCK left alone when nothing fails (exit $?)" \
		eval 'grep -q BPF_PROG_ATTACH "$TMP/memlock.trace" && ! grep -q "RLIMIT_MEMLOCK, {" "$TMP/memlock.trace"'
	# The first BPF_MAP_CREATE of a map of ours (the probes of --events auto
	# make maps of their own first): after the hook queries and BPF_BTF_LOAD.
	map_call=$(grep 'bpf(' "$TMP/normal.trace" | grep -n -m1 'BPF_MAP_CREATE.*map_name="BLOCKLIST_A"' | cut -d: -f1)
	memlock_run "-e inject=bpf:error=EPERM:when=${map_call:-4}"
	check "faults: EPERM from BPF_MAP_CREATE raises RLIMIT_MEMLOCK and retries (exit $?)" \
		eval 'grep -q BPF_PROG_ATTACH "$TMP/memlock.trace" && grep -q "RLIMIT_MEMLOCK, {rlim_cur=8192\*1024, rlim_max=8192\*1024}.* = 0" "$TMP/memlock.trace"'
	ids_are "$ids_before" >/dev/null

	# A failed batch names the address it stopped at, never one past the list
	# (strace leaves the count unchanged: a count the kernel did not set).
	batch_call=$(grep 'bpf(' "$TMP/normal.trace" | grep -n -m1 BPF_MAP_UPDATE_BATCH | cut -d: -f1)
	inject bpf E2BIG "${batch_call:-4}"
	check "faults: a failed batch update names the right address" \
		grep -q "adding 127.0.0.2 to BLOCKLIST_A of $CG: Argument list too long; nothing was attached" "$TMP/inj.err"

	# Interrupted waits are retried, not fatal.
	for n in 1 2 3; do
		fault_case "faults: epoll_wait call $n interrupted (EINTR)" epoll_wait EINTR "$n"
	done
else
	bad "faults: injection" "strace is not installed (.ci/run installs it)"
fi

# A parent cgroup with an exclusive program forbids ours on the child.
parent=$CG
CG=$parent/child
mkdir "$CG" && cgroups=("$CG" "${cgroups[@]}")
"$HELPER" attach-foreign "$parent" single
expect_exit "faults: exclusive program on the parent: EPERM explained" 1 \
	"Operation not permitted; another program here or on a parent cgroup forbids it" -- -c "$CG"
check "faults: exclusive program on the parent: nothing attached to the child" test "$(prog_count "$CG")" = 0
"$HELPER" detach-all "$parent"
rmdir "$CG"
CG=$parent

# Out of file descriptors (ulimit -n 5: stdio, the signalfd and the cgroup fit,
# a map does not). EMFILE's words depend on the libc.
: >"$TMP/nofile.err"
(ulimit -n 5 && exec "$BIN" -c "$CG" -b 127.0.0.2) >/dev/null 2>"$TMP/nofile.err"
check "faults: out of fds: exit 1, EMFILE named, nothing attached" \
	test "$?/$(grep -Ec ': (Too many open files|No file descriptors available)$' "$TMP/nofile.err")/$(prog_count "$CG")" = "1/1/0"
