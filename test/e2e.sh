# e2e.sh - end-to-end tests against the real kernel (root). Sourced by
# test/run.sh after test/lib.sh. Loopback servers on 127.0.0.1 and 127.0.0.2,
# clients that join a throwaway cgroup before opening their sockets.
# shellcheck shell=bash

PORT=$((20000 + RANDOM % 20000))
for a in 127.0.0.1 127.0.0.2; do
	"$HELPER" serve "$a" "$PORT" 120 >"$TMP/serve-$a.out" &
	pids+=("$!")
done
wait_for "$TMP/serve-127.0.0.1.out" ready 5 && wait_for "$TMP/serve-127.0.0.2.out" ready 5 ||
	bad "e2e servers" "loopback servers did not start"


# The main scenario: block 127.0.0.2 and 127.1.2.3 for one cgroup.
# scenario_block TAG: run it with $BIN, naming the checks "e2e TAG..."
scenario_block() {
	local tag=$1 main_pid
	check "e2e ${tag}baseline: 127.0.0.2 reachable before attach" \
		test "$(probe "$CG" udp 127.0.0.2)" = "udp passed"
	if start_tool main -c "$CG" -b 127.0.0.2 -b 127.1.2.3; then
		ok "e2e ${tag}tool attaches"
		main_pid=$tool_pid
		check "e2e ${tag}one program on the hook" test "$(prog_count "$CG")" = 1
		check "e2e ${tag}UDP to blocked 127.0.0.2 is dropped" \
			test "$(probe "$CG" udp 127.0.0.2)" = "udp blocked: send: Operation not permitted"
		# 127.1.2.3 is not byte-order symmetric: a swapped key would let it pass.
		check "e2e ${tag}UDP to blocked 127.1.2.3 is dropped" \
			test "$(probe "$CG" udp 127.1.2.3)" = "udp blocked: send: Operation not permitted"
		check "e2e ${tag}TCP to blocked 127.0.0.2 fails" \
			grep -q "^tcp blocked" <(probe "$CG" tcp 127.0.0.2)
		check "e2e ${tag}UDP to 127.0.0.1 passes" test "$(probe "$CG" udp 127.0.0.1)" = "udp passed"
		check "e2e ${tag}TCP to 127.0.0.1 passes" test "$(probe "$CG" tcp 127.0.0.1)" = "tcp passed"
		check "e2e ${tag}a process outside the cgroup is not filtered" \
			test "$(probe - udp 127.0.0.2)" = "udp passed"
		check "e2e ${tag}LOG line for a dropped packet" \
			wait_for "$TMP/main.out" "^LOG: DST 127.0.0.2, ACTION 0$" 2
		check "e2e ${tag}LOG line for the second blocked address" \
			wait_for "$TMP/main.out" "^LOG: DST 127.1.2.3, ACTION 0$" 2
		check "e2e ${tag}LOG line for a passed packet" \
			wait_for "$TMP/main.out" "^LOG: DST 127.0.0.1, ACTION 1$" 2
		check "e2e ${tag}every stdout line is a LOG line" \
			test "$(grep -cv '^LOG: DST [0-9.]*, ACTION [01]$' "$TMP/main.out")" = 0
		stop_tool "$main_pid" TERM
		check "e2e ${tag}SIGTERM: exit status 0" test $? = 0
		check "e2e ${tag}SIGTERM: nothing left on the hook" test "$(prog_count "$CG")" = 0
		check "e2e ${tag}SIGTERM: summary on stderr" \
			grep -Eq "detached from $CG; [0-9]+ events, 0 lost" "$TMP/main.err"
		check "e2e ${tag}after detach 127.0.0.2 is reachable again" \
			test "$(probe "$CG" udp 127.0.0.2)" = "udp passed"
	else
		bad "e2e ${tag}tool attaches" "$(head -c 500 "$TMP/main.err")"
	fi
}
new_cgroup
scenario_block ""
# Once more under valgrind (errors or leaks turn the exit status into 99),
# and no fd open at exit but stdio and what the shell handed us.
if [ -z "${TAG:-}" ] && command -v valgrind >/dev/null; then
	printf '#!/bin/sh\nexec %s --track-fds=yes --log-file=%s %s "$@"\n' "$VALGRIND" \
		"$TMP/vg-%p.log" "$PWD/build/vg/cgroup-skb-egress" >"$TMP/vg-tool"
	chmod +x "$TMP/vg-tool"
	BIN=$TMP/vg-tool scenario_block "[valgrind] "
	# The one-shot commands too: each exit status is 0 unless valgrind found an error.
	vg_rc=""
	for args in "block -c $CG 127.0.0.2 127.1.2.3" "block -c $CG 127.0.0.2 127.0.0.9" "list -c $CG --json" \
		"unblock -c $CG 127.0.0.9 127.0.0.5" "replace -c $CG 127.0.0.2 10.0.0.0/8" \
		"block -c $CG --timeout 1h 127.0.0.7" "status -c $CG" "detach -c $CG"; do
		# shellcheck disable=SC2086 # the words are meant to split
		timeout -k 5 60 "$TMP/vg-tool" $args >/dev/null 2>&1
		vg_rc="$vg_rc$?"
	done
	check "e2e [valgrind] block, block, list, unblock, replace, block --timeout, status, detach: no errors" \
		test "$vg_rc" = 00000000
	"$TMP/vg-tool" block -c "$CG" 127.0.0.2 2>/dev/null
	: >"$TMP/vg-log.err"
	timeout -k 5 60 "$TMP/vg-tool" log -c "$CG" >/dev/null 2>"$TMP/vg-log.err" &
	vg_log=$!
	pids+=("$vg_log")
	if wait_for "$TMP/vg-log.err" "reading the events" 20; then
		probe "$CG" udp 127.0.0.2 >/dev/null
		stop_tool "$vg_log" TERM
		check "e2e [valgrind] log: no errors" test $? = 0
	else
		bad "e2e [valgrind] log" "$(head -c 300 "$TMP/vg-log.err")"
	fi
	"$BIN" detach -c "$CG" 2>/dev/null
	check "e2e [valgrind] no fd left open at exit" test -z "$(awk '
		/Open file descriptor [0-9]+:/ { fd = $5; sub(":", "", fd); pending = fd > 2 ? $0 : ""; next }
		pending != "" && /inherited from parent/ { pending = ""; next }
		pending != "" { print pending; pending = "" }' "$TMP"/vg-*.log)"
fi

# --log drops: only ACTION 0 lines; --log none: no lines, and the program sends nothing.
for mode in drops none; do
	if start_tool "log-$mode" -c "$CG" -b 127.0.0.2 --log "$mode"; then
		probe "$CG" udp 127.0.0.2 >/dev/null
		probe "$CG" udp 127.0.0.1 >/dev/null
		probe "$CG" udp 127.0.0.2 >/dev/null
		sleep 0.3
		stop_tool "$tool_pid" TERM
		if [ "$mode" = drops ]; then
			check "e2e --log drops: both drops are logged" \
				test "$(grep -c '^LOG: DST 127.0.0.2, ACTION 0$' "$TMP/log-$mode.out")" = 2
			check "e2e --log drops: nothing but drops" \
				test "$(grep -vc '^LOG: DST 127.0.0.2, ACTION 0$' "$TMP/log-$mode.out")" = 0
		else
			check "e2e --log none: no line at all" test ! -s "$TMP/log-$mode.out"
			check "e2e --log none: and no event was sent" grep -q "; 0 events, 0 lost" "$TMP/log-$mode.err"
		fi
	else
		bad "e2e --log $mode" "$(head -c 300 "$TMP/log-$mode.err")"
	fi
done
expect_exit "e2e --log: a bad mode" 2 "option --log: 'some' is not all, drops or none" -- -c "$CG" --log some

# SIGINT works the same way; and --object loads a file instead of the embedded object.
if start_tool sigint -c "$CG" -b 127.0.0.2 --object "$OBJ"; then
	check "e2e --object: the file's program blocks" \
		test "$(probe "$CG" udp 127.0.0.2)" = "udp blocked: send: Operation not permitted"
	stop_tool "$tool_pid" INT
	check "e2e SIGINT: exit 0 and nothing left on the hook" \
		test "$?/$(prog_count "$CG")" = "0/0"
else
	bad "e2e SIGINT" "$(head -c 500 "$TMP/sigint.err")"
fi

# Never displace somebody else's program.
if start_tool first -c "$CG" -b 127.0.0.2; then
	first_pid=$tool_pid
	timeout -k 5 20 "$BIN" -c "$CG" -b 127.0.0.3 >"$TMP/second.out" 2>"$TMP/second.err"
	check "e2e second single attach refused with exit 1" test $? = 1
	check "e2e refusal names the attached program" \
		grep -q "already has egress program id [0-9]* attached (mode single)" "$TMP/second.err"
	check "e2e first program still attached and blocking" \
		test "$(prog_count "$CG")/$(probe "$CG" udp 127.0.0.2)" = "1/udp blocked: send: Operation not permitted"
	timeout -k 5 20 "$BIN" -c "$CG" --attach-mode multi >"$TMP/third.out" 2>"$TMP/third.err"
	check "e2e multi next to a single program refused" \
		grep -q "attached in mode single, which allows no other program" "$TMP/third.err"
	stop_tool "$first_pid" TERM
else
	bad "e2e conflict" "$(head -c 500 "$TMP/first.err")"
fi

# Two instances side by side in multi mode, each removing only itself.
if start_tool multi1 -c "$CG" --attach-mode multi -b 127.0.0.2 &&
	m1=$tool_pid && start_tool multi2 -c "$CG" --attach-mode multi -b 127.1.2.3; then
	m2=$tool_pid
	check "e2e multi: two programs on the hook" test "$(prog_count "$CG")" = 2
	check "e2e multi: both blocklists apply" \
		test "$(probe "$CG" udp 127.0.0.2)/$(probe "$CG" udp 127.1.2.3)" = "udp blocked: send: Operation not permitted/udp blocked: send: Operation not permitted"
	stop_tool "$m1" TERM
	check "e2e multi: stopping one leaves the other" \
		test "$(prog_count "$CG")/$(probe "$CG" udp 127.0.0.2)/$(probe "$CG" udp 127.1.2.3)" = "1/udp passed/udp blocked: send: Operation not permitted"
	stop_tool "$m2" TERM
	check "e2e multi: both gone" test "$(prog_count "$CG")" = 0
else
	bad "e2e multi" "$(cat "$TMP"/multi*.err | head -c 500)"
fi

# A program the verifier rejects: the log is printed, nothing is attached.
expect_exit "e2e verifier rejection prints the log" 1 "At program exit the register R0" \
	-- -c "$CG" --object build/test/bad_prog.bpf.o
check "e2e verifier rejection: one-line error first" \
	grep -q "^cgroup-skb-egress: loading program 'bad_egress' for egress (section cgroup_skb/egress, [0-9]* instructions) from build/test/bad_prog.bpf.o: Invalid argument; the verifier of Linux [^ ]* rejected it" "$TMP/cli.err"
check "e2e verifier rejection: nothing attached" test "$(prog_count "$CG")" = 0

if command -v setpriv >/dev/null; then
	REAL_BIN=$BIN
	run_as --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all --bounding-set=-all
	expect_exit "e2e as nobody: names the missing capabilities" 1 \
		"querying the egress hook of $CG: Operation not permitted; missing CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON: run as root" \
		-- -c "$CG"
	run_as --inh-caps=-all --bounding-set=-perfmon,-sys_admin
	expect_exit "e2e without CAP_PERFMON, --events perf: fails at the perf rings" 1 \
		"opening the perf ring of CPU [0-9]* (64 pages): Permission denied; missing CAP_PERFMON: run as root" \
		-- -c "$CG" --events perf
	# --events auto finds perf events closed to it, and takes the ring buffer,
	# which needs no CAP_PERFMON.
	if start_tool noperfmon -c "$CG" -b 127.0.0.2; then
		probe "$CG" udp 127.0.0.2 >/dev/null
		check "e2e without CAP_PERFMON, --events auto: the ring buffer carries the LOG line" \
			wait_for "$TMP/noperfmon.out" "^LOG: DST 127.0.0.2, ACTION 0$" 3
		stop_tool "$tool_pid" TERM
		check "e2e without CAP_PERFMON, --events auto: exit 0" test $? = 0
	else
		bad "e2e without CAP_PERFMON, --events auto: attaches" "$(head -c 300 "$TMP/noperfmon.err")"
	fi
	BIN=$REAL_BIN
	check "e2e without privilege: nothing attached" test "$(prog_count "$CG")" = 0
else
	bad "e2e privilege tests" "setpriv (util-linux) is not installed"
fi


# Started with stdin and stdout closed (initramfs, `cmd <&- >&-`): no BPF or
# perf fd may take fd 0, 1 or 2, and blocking still works.
"$BIN" -c "$CG" -b 127.0.0.2 <&- >&- 2>"$TMP/closed.err" &
closed_pid=$!
pids+=("$closed_pid")
if wait_for "$TMP/closed.err" "attached program id" 10; then
	check "e2e closed stdio: fds 0 and 1 are /dev/null" \
		test "$(readlink /proc/$closed_pid/fd/0) $(readlink /proc/$closed_pid/fd/1)" = "/dev/null /dev/null"
	check "e2e closed stdio: every fd it opened is above 2 and close-on-exec" \
		test -z "$(fds_without_cloexec "$closed_pid")"
	check "e2e closed stdio: still blocks" \
		test "$(probe "$CG" udp 127.0.0.2)" = "udp blocked: send: Operation not permitted"
	stop_tool "$closed_pid" TERM
	check "e2e closed stdio: exit 0, nothing left" test "$?/$(prog_count "$CG")" = "0/0"
else
	bad "e2e closed stdio" "$(head -c 500 "$TMP/closed.err")"
fi

# A failure after attaching (stdout's reader went away): detach first, then exit 1.
mkfifo "$TMP/pipe"
head -n 1 <"$TMP/pipe" >"$TMP/pipe.out" &
pids+=("$!")
"$BIN" -c "$CG" -b 127.0.0.2 >"$TMP/pipe" 2>"$TMP/pipe.err" &
pipe_pid=$!
pids+=("$pipe_pid")
if wait_for "$TMP/pipe.err" "attached program id" 10; then
	# The first packet's line reaches head, which exits; later lines meet a closed pipe.
	probe "$CG" udp 127.0.0.2 >/dev/null
	wait_for "$TMP/pipe.out" "^LOG" 5
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		probe "$CG" udp 127.0.0.2 >/dev/null
		wait_for "$TMP/pipe.err" "detached from" 1 && break
	done
	check "e2e stdout closed while running: says so and detaches" \
		grep -q "writing LOG lines to stdout: Broken pipe; detaching" "$TMP/pipe.err"
	check "e2e stdout closed while running: nothing left on the hook" test "$(prog_count "$CG")" = 0
	check "e2e stdout closed while running: the reader got its line" \
		grep -q "^LOG: DST 127.0.0.2, ACTION 0$" "$TMP/pipe.out"
else
	bad "e2e stdout closed while running" "$(head -c 500 "$TMP/pipe.err")"
fi
stop_tool "$pipe_pid" TERM 2>/dev/null # only matters if it failed to stop by itself
check "e2e stdout closed while running: exit status 1" test $? = 1

# Event overload: a one-page ring, a drain once a second, and a flood while
# the tool is stopped. It keeps running with flat memory, and every packet is either
# a LOG line or counted in a LOST line: the kernel reports losses at its next
# successful write, which the one marker packet after the flood provides.
: >"$TMP/flood.err"
"$BIN" -c "$CG" --ring-pages 1 --wakeup-events 1000000 --flush-ms 1000 \
	>"$TMP/flood.out" 2>"$TMP/flood.err" &
flood_pid=$!
pids+=("$flood_pid")
if wait_for "$TMP/flood.err" "attached program id" 10; then
	rss_before=$(awk '/^VmRSS/ { print $2 }' /proc/$flood_pid/status)
	# Stopped, the reader cannot keep up whatever the machine's load: the
	# kernel also wakes readers at half a ring, so speed alone proves nothing.
	# Flood and marker on one CPU: losses are counted per ring, and reported
	# at the next write into that same CPU's ring.
	kill -STOP "$flood_pid"
	sent=$(taskset -c 0 "$HELPER" -g "$CG" flood 127.0.0.1 9 20000)
	kill -CONT "$flood_pid"
	sleep 1.2
	sent=$((sent + $(taskset -c 0 "$HELPER" -g "$CG" flood 127.0.0.1 9 1)))
	sleep 1.2
	rss_after=$(awk '/^VmRSS/ { print $2 }' /proc/$flood_pid/status)
	stop_tool "$flood_pid" TERM
	check "e2e flood: exit 0" test $? = 0
	logged=$(grep -c '^LOG: DST 127.0.0.1, ACTION 1$' "$TMP/flood.out")
	lost=$(awk '/^LOST [0-9]+ events on cpu [0-9]+$/ { n += $2 } END { print n + 0 }' "$TMP/flood.out")
	check "e2e flood: the ring overflowed (LOST lines)" test "$lost" -gt 0
	check "e2e flood: LOG lines + lost = packets sent ($logged + $lost = $sent)" \
		test $((logged + lost)) = "$sent"
	check "e2e flood: the summary has the same counts" \
		grep -q "; $logged events, $lost lost$" "$TMP/flood.err"
	check "e2e flood: memory stays flat (VmRSS $rss_before kB -> $rss_after kB)" \
		test $((rss_after - rss_before)) -le 256
else
	bad "e2e flood" "$(head -c 500 "$TMP/flood.err")"
fi

# flood_counted NAME LOST_LINE_PATTERN ARGS...: a run with ARGS stopped
# while 20,000 datagrams go to 127.0.0.1 from CPU 0, resumed, then stopped
# with SIGTERM; sets sent, logged, lost (the sum of the LOST lines that
# match) and flood_rc, or returns 1 if it never attached.
flood_counted() {
	local name=$1 pattern=$2 pid
	shift 2
	: >"$TMP/$name.err"
	"$BIN" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	pid=$!
	pids+=("$pid")
	wait_for "$TMP/$name.err" "attached program id" 10 || return 1
	kill -STOP "$pid"
	sent=$(taskset -c 0 "$HELPER" -g "$CG" flood 127.0.0.1 9 20000)
	kill -CONT "$pid"
	sleep 1.2
	stop_tool "$pid" TERM
	flood_rc=$?
	logged=$(grep -c '^LOG: DST 127.0.0.1, ACTION 1$' "$TMP/$name.out")
	lost=$(awk -v p="$pattern" '$0 ~ p { n += $2 } END { print n + 0 }' "$TMP/$name.out")
}

# The same flood with no marker after it: the kernel never gets to report the
# loss, so the tool says it from the program's own count when it stops.
if flood_counted flood2 "^LOST [0-9]+ events" -c "$CG" --ring-pages 1 --wakeup-events 1000000 --flush-ms 1000; then
	check "e2e flood, no marker: a LOST line from the program's count" \
		grep -q "^LOST [0-9]* events: a perf ring was full (not yet reported by the kernel)$" "$TMP/flood2.out"
	check "e2e flood, no marker: LOG lines + lost = packets sent ($logged + $lost = $sent)" \
		test $((logged + lost)) = "$sent"
	check "e2e flood, no marker: the summary has the same counts" \
		grep -q "; $logged events, $lost lost$" "$TMP/flood2.err"
else
	bad "e2e flood, no marker" "$(head -c 500 "$TMP/flood2.err")"
fi

# ---- the BPF ring buffer (--events ringbuf) ------------------------------------
# The same scenario with the program that sends through EVENTS_RING, then the
# flood again: a full ring buffer refuses events (EAGAIN), which the program
# counts and the summary reports as lost, so that LOG lines + lost = sent.
printf '#!/bin/sh\nexec %s --events ringbuf "$@"\n' "$(realpath "$BIN")" >"$TMP/ring-tool"
chmod +x "$TMP/ring-tool"
BIN_BEFORE_RING=$BIN
BIN=$TMP/ring-tool scenario_block "[ringbuf] "
BIN=$BIN_BEFORE_RING
# The trace goes to a file: a `grep -q` reading a pipe would leave the tool
# writing into a closed one.
"$BIN" block -v --events ringbuf -c "$CG" 127.0.0.9 >/dev/null 2>"$TMP/ringblock.err"
"$BIN" status -c "$CG" --json >"$TMP/ringblock.status" 2>&1
"$BIN" detach -c "$CG" >/dev/null 2>&1
check "e2e [ringbuf] -v says which way events go, and status names the transport" eval \
	'grep -q "events will go through ringbuf" "$TMP/ringblock.err" &&
		grep -q "\"events\":\"ringbuf\"" "$TMP/ringblock.status"'
"$BIN" block -v -c "$CG" 127.0.0.9 >/dev/null 2>"$TMP/autoblock.err"
"$BIN" status -c "$CG" --json >"$TMP/autoblock.status" 2>&1
"$BIN" detach -c "$CG" >/dev/null 2>&1
check "e2e auto on this kernel: perf (its perf events carry BPF output)" eval \
	'grep -q "events will go through perf" "$TMP/autoblock.err" &&
		grep -q "\"events\":\"perf\"" "$TMP/autoblock.status"'
# block leaves a ring-buffer instance; log reads it through the ring buffer.
if "$BIN" block --events ringbuf -c "$CG" 127.0.0.2 2>/dev/null && start_reader ringlog log -c "$CG"; then
	probe "$CG" udp 127.0.0.2 >/dev/null
	check "e2e [ringbuf] log reads a block's events from its ring buffer" \
		wait_for "$TMP/ringlog.out" "^LOG: DST 127.0.0.2, ACTION 0$" 3
	stop_tool "$tool_pid" TERM
	ringlog_rc=$?
	check "e2e [ringbuf] log: exit 0, summary" eval \
		'[ "$ringlog_rc" = 0 ] && grep -q "stopped reading; the program stays attached to $CG; 1 events, 0 lost" "$TMP/ringlog.err"'
else
	bad "e2e [ringbuf] block, then log" "$(head -c 300 "$TMP/ringlog.err" 2>/dev/null)"
fi
"$BIN" detach -c "$CG" >/dev/null 2>&1
if flood_counted ringflood "^LOST [0-9]+ events: the ring buffer was full$" -c "$CG" --events ringbuf --ring-pages 1 --flush-ms 1000; then
	check "e2e [ringbuf] flood: exit 0" test "$flood_rc" = 0
	check "e2e [ringbuf] flood: the ring buffer filled (a LOST line)" test "$lost" -gt 0
	check "e2e [ringbuf] flood: LOG lines + lost = packets sent ($logged + $lost = $sent)" \
		test $((logged + lost)) = "$sent"
	check "e2e [ringbuf] flood: the summary has the same counts" \
		grep -q "; $logged events, $lost lost$" "$TMP/ringflood.err"
else
	bad "e2e [ringbuf] flood" "$(head -c 500 "$TMP/ringflood.err")"
fi

# Map full: more addresses than BLOCKLIST_A holds is refused before anything is attached.
many=()
for i in $(seq 0 1024); do many+=(-b "10.$((i / 256)).$((i % 256)).1"); done
expect_exit "e2e map full: 1025 addresses refused" 1 \
	"1025 addresses to block, but BLOCKLIST_A holds 1024 (--max-entries); nothing was attached" -- -c "$CG" "${many[@]}"
check "e2e map full: nothing attached" test "$(prog_count "$CG")" = 0

# The root of the hierarchy: warn that everything is affected. The object is
# one the verifier rejects, so this never attaches to the root cgroup.
root_before=$(prog_count "$CG2")
expect_exit "e2e root cgroup: warns that every process is affected" 1 \
	"warning: $CG2 is the root of the cgroup2 hierarchy: every process on this host is affected" \
	-- -c "$CG2" --object build/test/bad_prog.bpf.o
check "e2e root cgroup: nothing attached there" test "$(prog_count "$CG2")" = "$root_before"

# A cgroup v1 directory, where the kernel would answer a baffling EBADF.
V1=$(awk '$9 == "cgroup" { print $5; exit }' /proc/self/mountinfo)
if [ -n "$V1" ]; then
	expect_exit "e2e a cgroup v1 directory is refused" 2 "is a cgroup v1 directory, not cgroup v2; cgroup2 is mounted at $CG2" -- -c "$V1"
fi

# ---- status and detach --------------------------------------------------------
expect_exit "status: nothing attached: exit 3" 3 "^$CG: no egress program attached$" -- status -c "$CG"
expect_exit "status --json: nothing attached" 3 "^{\"cgroup\":\"$CG\",\"direction\":\"egress\",\"attached\":false}$" -- status -c "$CG" --json
expect_exit "detach: nothing of ours: exit 3" 3 "nothing of ours is attached to $CG" -- detach -c "$CG"
expect_exit "list: nothing of ours: exit 3" 3 "nothing of ours is attached to $CG" -- list -c "$CG"
expect_exit "detach takes no addresses" 2 "detach does not take addresses" -- detach -c "$CG" -b 127.0.0.2
expect_exit "--json is refused where it means nothing" 2 "block does not take --json" -- block -c "$CG" --json 127.0.0.2
if start_tool status -c "$CG" -b 127.0.0.2 -b 127.1.2.3; then
	status_pid=$tool_pid
	expect_exit "status: a running instance, its entries" 0 \
		"^$CG: egress program id [0-9]* (cgroup-skb-egress, mode single, run by pid [0-9]*, logging all), BLOCKLIST_A map id [0-9]* holds 2 of 1024 entries, 0 packets dropped, BLOCKNETS_A map id [0-9]* holds 0 of 1024 prefixes, default allow (this hook: 0 dropped by entries, 0 let through by allow entries, 0 denied), EVENTS map id [0-9]*$" \
		-- status -c "$CG"
	expect_exit "status --json: a running instance" 0 \
		"^{\"cgroup\":\"$CG\",\"direction\":\"egress\",\"attached\":true,\"prog_id\":[0-9]*,\"ours\":true,\"mode\":\"single\",\"persistent\":false,\"log\":\"all\",\"holder_pid\":[1-9][0-9]*,\"map_layout\":2,\"set\":\"A\",\"blocklist_map_id\":[0-9]*,\"blocknets_map_id\":[0-9]*,\"entries\":2,\"max_entries\":1024,\"prefixes\":0,\"max_prefixes\":1024,\"allow_entries\":0,\"dropped\":0,\"events_map_id\":[0-9]*,\"events\":\"perf\",\"default\":\"allow\",\"entry_drops\":0,\"allowed\":0,\"denied\":0,\"unsent\":0,\"lost\":0}$" \
		-- status -c "$CG" --json
	for _ in 1 2 3; do probe "$CG" udp 127.1.2.3 >/dev/null; done
	expect_exit "status: drops counted per packet in the blocklist (3 sent, 3 dropped)" 0 \
		"holds 2 of 1024 entries, 3 packets dropped" -- status -c "$CG"
	expect_exit "list: each address with its drops" 0 "^127.1.2.3 3$" -- list -c "$CG"
	check "list: sorted, one line per address" \
		test "$(tr '\n' ' ' <"$TMP/cli.out")" = "127.0.0.2 0 127.1.2.3 3 "
	expect_exit "list --json: one object per address" 0 \
		"^{\"cgroup\":\"$CG\",\"prog_id\":[0-9]*,\"direction\":\"egress\",\"family\":\"ipv4\",\"allow\":false,\"address\":\"127.1.2.3\",\"prefix\":false,\"dropped\":3,\"expires_in\":null}$" -- list -c "$CG" --json
	# Reaching programs and maps by id needs CAP_SYS_ADMIN: without it, say so.
	if command -v setpriv >/dev/null; then
		REAL_BIN=$BIN
		run_as --inh-caps=-all --bounding-set=-sys_admin
		expect_exit "status without CAP_SYS_ADMIN: says what is missing, exit 1" 1 \
			"Operation not permitted; reaching a program or map by id needs CAP_SYS_ADMIN" -- status -c "$CG"
		BIN=$REAL_BIN
	fi
	expect_exit "detach: takes a running instance's program off" 0 \
		"detached egress program id [0-9]* from $CG; pid [0-9]* ran it and will exit" -- detach -c "$CG"
	check "detach: nothing on the hook, traffic passes" \
		test "$(prog_count "$CG")/$(probe "$CG" udp 127.0.0.2)" = "0/udp passed"
	wait_for "$TMP/status.err" "was detached from" 5
	stop_tool "$status_pid" TERM
	check "detach: the running instance noticed and exited 1" test $? = 1
else
	bad "status and detach" "$(head -c 500 "$TMP/status.err")"
fi
# After SIGKILL: status says so, detach cleans up.
if start_tool orphan -c "$CG" -b 127.0.0.2; then
	kill -KILL "$(cat "/proc/$tool_pid/task/$tool_pid/children")"
	wait "$tool_pid" 2>/dev/null
	expect_exit "status: a killed run's program is shown as left attached" 0 \
		"(cgroup-skb-egress, mode single, left attached: no process holds it, logging all)" -- status -c "$CG"
	expect_exit "detach: removes a killed run's program" 0 "detached egress program id [0-9]* from $CG$" -- detach -c "$CG"
	check "detach: after SIGKILL and detach, traffic passes" \
		test "$(prog_count "$CG")/$(probe "$CG" udp 127.0.0.2)" = "0/udp passed"
fi
# Somebody else's program: shown, and never detached.
"$HELPER" attach-foreign "$CG" multi
expect_exit "status: a foreign program is not ours: exit 3" 3 "^$CG: egress program id [0-9]* (not ours, mode multi)$" -- status -c "$CG"
expect_exit "detach: a foreign program is left alone" 3 "left egress program id [0-9]* on $CG alone: it is not ours" -- detach -c "$CG"
check "detach: the foreign program is still attached" test "$(prog_count "$CG")" = 1
"$HELPER" detach-all "$CG"

# ---- addresses from files, and --max-entries ------------------------------------
printf '# test list\n127.0.0.2\n\n127.1.2.3 # second\n' >"$TMP/list.txt"
printf '127.0.0.2\n# fine\n127.0.0.256\n127.1.2.3\n' >"$TMP/bad-list.txt"
expect_exit "-f: a bad line is named by file and line, nothing loaded" 2 \
	"$TMP/bad-list.txt:3: '127.0.0.256' is not an IPv4 or IPv6 address or prefix .*; nothing was loaded" -- -c "$CG" -f "$TMP/bad-list.txt"
check "-f: a bad file attaches nothing" test "$(prog_count "$CG")" = 0
expect_exit "-f: a missing file" 2 "opening address file $TMP/none.txt: No such file or directory" -- -c "$CG" -f "$TMP/none.txt"
expect_exit "--max-entries: more addresses than fit: exit 1, nothing attached" 1 \
	"2 addresses to block, but BLOCKLIST_A holds 1 (--max-entries); nothing was attached" -- -c "$CG" -f "$TMP/list.txt" --max-entries 1
: >"$TMP/fromfile.err"
# (explicit redirection: a background job's stdin would otherwise be /dev/null)
"$BIN" -c "$CG" -f - --max-entries 4 <"$TMP/list.txt" >/dev/null 2>"$TMP/fromfile.err" &
tool_pid=$!
pids+=("$tool_pid")
if wait_for "$TMP/fromfile.err" "attached program id" 10; then
	check "-f -: addresses from stdin block" \
		test "$(probe "$CG" udp 127.0.0.2)/$(probe "$CG" udp 127.1.2.3)/$(probe "$CG" udp 127.0.0.1)" = "udp blocked: send: Operation not permitted/udp blocked: send: Operation not permitted/udp passed"
	expect_exit "--max-entries: the map has the size asked for" 0 "holds 2 of 4 entries" -- status -c "$CG"
	stop_tool "$tool_pid" TERM
else
	bad "-f -" "$(head -c 500 "$TMP/fromfile.err")"
fi

# JSON stays valid for a cgroup name that is not UTF-8 (Latin-1 e-acute here).
latin1="$CG2/cse-test-$$-$(printf '\351')"
mkdir "$latin1" && cgroups+=("$latin1")
expect_exit "status --json: a name that is not UTF-8 becomes U+FFFD" 3 \
	"/cse-test-$$-\\\\ufffd\",\"direction\":\"ingress\",\"attached\":false}$" -- status -c "$latin1" --json
rmdir "$latin1"

# ---- no window: the blocklist is full before the program is attached ---------
# A stream to 127.0.0.2 runs while the tool starts. The Aya example attaches
# first and fills the map after: packets would pass while attached (ACTION 1
# lines for 127.0.0.2). Here every packet the program sees is dropped, and once
# one is refused none passes again.
"$HELPER" -g "$CG" stream 127.0.0.2 "$PORT" 1500 >"$TMP/stream.out" &
streamer=$!
pids+=("$streamer")
sleep 0.3
if start_tool window -c "$CG" -b 127.0.0.2; then
	wait "$streamer"
	sleep 0.3
	stop_tool "$tool_pid" TERM
	read -r _ sent _ refused _ after _ _ <"$TMP/stream.out"
	check "no window: the stream was refused once attached ($sent sent before, $refused refused)" \
		test "$refused" -gt 0 -a "$sent" -gt 0
	check "no window: nothing passed after the first refusal" test "$after" = 0
	check "no window: the program never passed 127.0.0.2 (no ACTION 1 line for it)" \
		eval '! grep -q "^LOG: DST 127.0.0.2, ACTION 1$" "$TMP/window.out"'
else
	bad "no window" "$(head -c 500 "$TMP/window.err")"
fi

# shellcheck source=test/oneshot.sh
. test/oneshot.sh
# shellcheck source=test/expiry.sh
. test/expiry.sh
# shellcheck source=test/replace.sh
. test/replace.sh
# shellcheck source=test/batches.sh
. test/batches.sh
# shellcheck source=test/upgrade.sh
. test/upgrade.sh
# shellcheck source=test/targets.sh
. test/targets.sh
# shellcheck source=test/preflight.sh
. test/preflight.sh
# shellcheck source=test/allow.sh
. test/allow.sh
# shellcheck source=test/metrics.sh
. test/metrics.sh
# shellcheck source=test/families.sh
. test/families.sh
