#!/usr/bin/env bash
# demo.sh - `make demo`: the tool at work on loopback, nothing sent off the machine.
#
# Creates a throwaway cgroup, starts servers on 127.0.0.1 and 127.0.0.2, runs
# cgroup-skb-egress blocking 127.0.0.2 for that cgroup, and shows a client
# inside the cgroup failing on 127.0.0.2 and reaching 127.0.0.1, with the LOG
# lines the tool printed. Removes everything it made, processes by PID.
set -u
cd "$(dirname "$0")/.."
BIN=build/cgroup-skb-egress
HELPER=build/test/nethelper

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (BPF and cgroups): sudo make demo" >&2
	exit 1
fi
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -z "$CG2" ]; then
	echo "demo: cgroup2 is not mounted; mount it with: mount -t cgroup2 none /sys/fs/cgroup" >&2
	exit 1
fi
CG="$CG2/cse-demo-$$"
TMP=$(mktemp -d /tmp/cse-demo.XXXXXX)
PORT=$((20000 + RANDOM % 20000))
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rmdir "$CG" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "cgroup $CG, servers on 127.0.0.1:$PORT and 127.0.0.2:$PORT"
mkdir "$CG"
for a in 127.0.0.1 127.0.0.2; do
	"$HELPER" serve "$a" "$PORT" 30 >/dev/null &
	pids+=("$!")
done
sleep 0.3

say "$BIN -c $CG -b 127.0.0.2"
"$BIN" -c "$CG" -b 127.0.0.2 >"$TMP/log" 2>"$TMP/err" &
tool=$!
pids+=("$tool")
for _ in $(seq 100); do grep -q "attached program id" "$TMP/err" && break; sleep 0.05; done
cat "$TMP/err"

shown=0
new_log_lines() { # what the tool printed since the last call
	sleep 0.2
	tail -n +$((shown + 1)) "$TMP/log" | sed 's/^/    tool: /'
	shown=$(wc -l <"$TMP/log")
}
for a in 127.0.0.2 127.0.0.1; do
	say "from inside the cgroup: UDP and TCP to $a"
	"$HELPER" -g "$CG" udp "$a" "$PORT" 500
	"$HELPER" -g "$CG" tcp "$a" "$PORT" 500
	new_log_lines
done
say "from outside the cgroup: UDP to 127.0.0.2 (not filtered)"
"$HELPER" udp 127.0.0.2 "$PORT" 500
new_log_lines

say "SIGTERM: the tool detaches and exits"
kill -TERM "$tool"
wait "$tool"
echo "exit status $?"
tail -n 1 "$TMP/err"
