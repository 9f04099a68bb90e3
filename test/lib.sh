# lib.sh - what the test scripts share: counting, checks, and handling the
# tool, its cgroups and helper processes. Sourced by test/run.sh; expects
# BIN, HELPER, TMP, CG2, passed, failed, pids, cgroups and netns to be set there.
# shellcheck shell=bash

# TAG, when set, names the build under test: "[asan] e2e ...".
ok() { passed=$((passed + 1)); echo "PASS ${TAG:-}$1"; }
bad() { failed=$((failed + 1)); echo "FAIL ${TAG:-}$1${2:+: $2}"; }

check() { # name command...: pass if the command succeeds
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# run_counted NAME COMMAND...: a test program that prints PASS/FAIL lines;
# count them, and count a crash, sanitizer report or timeout as a failure.
run_counted() {
	local name=$1 out="$TMP/counted.out" rc
	shift
	timeout -k 5 "${RUN_TIMEOUT:-300}" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	passed=$((passed + $(grep -c '^PASS ' "$out")))
	failed=$((failed + $(grep -c '^FAIL ' "$out")))
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		bad "$name" "exited $rc (crash, sanitizer report or timeout): $(tail -c 800 "$out")"
	fi
}

cleanup() {
	local p c n
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for c in "${cgroups[@]}"; do [ -d "$c" ] && rmdir "$c" 2>/dev/null; done
	for n in "${netns[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}

# expect_exit NAME CODE PATTERN -- ARGS...: exit code and a stderr/stdout line
expect_exit() {
	local name=$1 code=$2 pattern=$3 rc
	shift 4
	timeout -k 5 20 "$BIN" "$@" >"$TMP/cli.out" 2>"$TMP/cli.err"
	rc=$?
	if [ "$rc" -ne "$code" ]; then
		bad "$name" "exit $rc, want $code; stderr: $(head -c 300 "$TMP/cli.err")"
	elif ! grep -q -- "$pattern" "$TMP/cli.out" "$TMP/cli.err"; then
		bad "$name" "no '$pattern' in output: $(head -c 300 "$TMP/cli.err")"
	else
		ok "$name"
	fi
}

new_cgroup() { # sets CG to a fresh, uniquely named cgroup, removed at exit
	CG="$CG2/cse-test-$$-$RANDOM$RANDOM"
	mkdir "$CG" && cgroups+=("$CG")
}

prog_count() { "$HELPER" query "$1"; }

# wait_for FILE PATTERN SECONDS
wait_for() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# start_in_bg NAME SECONDS PATTERN ARGS...: run the tool in the background for
# at most SECONDS, with output in $TMP/NAME.out and .err, and wait up to 10 s
# for PATTERN on its stderr; sets tool_pid (timeout's, whose child is the tool)
start_in_bg() {
	local name=$1 seconds=$2 pattern=$3
	shift 3
	# Empty the files here: the child's own redirections may come after wait_for's first look.
	: >"$TMP/$name.out"
	: >"$TMP/$name.err"
	timeout -k 5 "$seconds" "$BIN" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	tool_pid=$!
	pids+=("$tool_pid")
	wait_for "$TMP/$name.err" "$pattern" 10
}

# start_tool NAME ARGS...: a run that attaches its own program
start_tool() {
	local name=$1
	shift
	start_in_bg "$name" 120 "attached program id" "$@"
}

# start_reader NAME ARGS...: `log`, or a `run` that reads an instance already attached
start_reader() {
	local name=$1
	shift
	start_in_bg "$name" 60 "reading the events of program id" "$@"
}

# stop_tool PID SIGNAL: signal the tool and return its exit status; one that
# has not exited 20 s later is killed (and then fails its exit status check).
stop_tool() {
	local i
	kill -"$2" "$1"
	for ((i = 0; i < 200; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
}

probe() { # probe CGROUP|- udp|tcp ADDR: prints the helper's verdict
	if [ "$1" = - ]; then
		"$HELPER" "$2" "$3" "$PORT" 500
	else
		"$HELPER" -g "$1" "$2" "$3" "$PORT" 500
	fi
}

# Without privilege: say which capabilities are missing, attach nothing.
# run_as WRAPPER-ARGS: make $BIN a script that runs the tool under setpriv.
run_as() {
	printf '#!/bin/sh\nexec setpriv %s %s "$@"\n' "$*" "$PWD/$REAL_BIN" >"$TMP/wrapped"
	chmod +x "$TMP/wrapped"
	BIN=$TMP/wrapped
}

# The fds of process $1 that it opened itself (BPF, perf, epoll, signalfd,
# the cgroup) and that are not close-on-exec. fdinfo flags are octal. Fds it
# inherited from the shell are not its business.
fds_without_cloexec() {
	local f n flags
	for f in /proc/"$1"/fdinfo/*; do
		n=${f##*/}
		case $(readlink "/proc/$1/fd/$n") in anon_inode:* | "$CG2"*) ;; *) continue ;; esac
		flags=$(awk '/^flags:/ { print $2 }' "$f")
		[ $((8#$flags & 8#2000000)) -eq 0 ] && echo "fd $n"
	done
}

# BPF program and map ids, as the kernel lists them (faults.sh, preflight.sh).
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

# netns_servers VAR PORT LABEL ADDR...: a network namespace of this test's
# own, its loopback up and holding each IPv6 ADDR (127.0.0.0/8 and ::1 it
# has), and a server on each ADDR:PORT inside it; its name goes into VAR.
# Clients enter it with nsenter (ip netns exec would remount /sys and hide
# the cgroup2 mount).
netns_servers() {
	local var=$1 port=$2 label=$3 ns=cse-test-$$-$RANDOM a
	shift 3
	ip netns add "$ns" && netns+=("$ns")
	ip -n "$ns" link set lo up
	for a in "$@"; do
		case $a in ::1 | *.*) ;; *) ip -n "$ns" addr add "$a/64" dev lo nodad ;; esac
	done
	for a in "$@"; do
		nsenter "--net=/run/netns/$ns" "$HELPER" serve "$a" "$port" 120 >"$TMP/serve-$ns-$a.out" &
		pids+=("$!")
	done
	for a in "$@"; do
		wait_for "$TMP/serve-$ns-$a.out" ready 5 || bad "$label: server on $a" "did not start"
	done
	printf -v "$var" %s "$ns"
}
