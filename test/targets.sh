# targets.sh - naming the cgroup by what runs in it: --unit (a systemd
# unit's cgroup, found by name in the tree) and --pid (a process's, from
# /proc/PID/cgroup). Sourced by test/e2e.sh after test/lib.sh.
# shellcheck shell=bash

# A unit's cgroup: a transient scope where systemd runs, otherwise a cgroup
# laid out as systemd lays out a service in a slice of its own.
unit_name="cse-test-$$-$RANDOM.scope"
unit_cg=""
if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null; then
	systemd-run --quiet --scope --unit="$unit_name" sleep 60 </dev/null >/dev/null 2>&1 &
	unit_pid=$!
	pids+=("$unit_pid")
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		unit_cg=$(awk -F: '$1 == 0 { print $3 }' "/proc/$unit_pid/cgroup" 2>/dev/null)
		[ "${unit_cg##*/}" = "$unit_name" ] && break
		unit_cg=""
		sleep 0.2
	done
	if [ -n "$unit_cg" ]; then
		unit_cg="$CG2$unit_cg"
		unit_how="systemd-run --scope"
	else
		bad "targets: systemd runs, but systemd-run --scope made no $unit_name"
		kill "$unit_pid" 2>/dev/null
	fi
fi
if [ -z "$unit_cg" ]; then
	unit_pid=""
	unit_name="cse-test-$$-$RANDOM-app.service"
	unit_slice="$CG2/cse-test-$$-$RANDOM.slice"
	unit_cg="$unit_slice/$unit_name"
	mkdir -p "$unit_cg" && cgroups=("$unit_cg" "$unit_slice" "${cgroups[@]}")
	unit_how="a cgroup laid out like systemd's"
fi
echo "targets: --unit on $unit_name ($unit_how) at $unit_cg"

expect_exit "targets: block --unit NAME attaches to the unit's cgroup, and says its path" 0 \
	"attached program id .* to $unit_cg " -- block --unit "$unit_name" 127.0.0.2
check "targets: a packet from the unit's cgroup to the blocked address is dropped" \
	test "$(probe "$unit_cg" udp 127.0.0.2)" = "$DROPPED"
check "targets: ... and one from the cgroup beside it passes" \
	test "$(probe "$CG" udp 127.0.0.2)" = "udp passed"
expect_exit "targets: status --unit shows the resolved path" 0 \
	"^$unit_cg: egress program id" -- status --unit "$unit_name"
expect_exit "targets: status --json --unit: the path in \"cgroup\"" 0 \
	"{\"cgroup\":\"$unit_cg\",\"direction\":\"egress\",\"attached\":true" -- status --json --unit "$unit_name"
expect_exit "targets: -v says what the unit resolved to, as step 1" 0 \
	"^step 1: --unit $unit_name is the cgroup $unit_cg$" -- list -v --unit "$unit_name"
if [ "${unit_name%.service}" != "$unit_name" ]; then
	expect_exit "targets: --unit without a type means NAME.service, as systemctl takes it" 0 \
		"^127.0.0.2 " -- list --unit "${unit_name%.service}"
fi
expect_exit "targets: detach --unit" 0 "detached egress program id" -- detach --unit "$unit_name"

# A unit deep in a wide tree: more siblings than one getdents64 buffer holds,
# so the search goes back up to a directory it had to leave mid-reading.
wide="$CG/wide"
mkdir -p "$wide/a/b" && cgroups=("$wide/a/b" "$wide/a" "$wide" "${cgroups[@]}")
for i in $(seq 1 100); do
	mkdir "$wide/sibling-with-a-name-long-enough-$i" && cgroups=("$wide/sibling-with-a-name-long-enough-$i" "${cgroups[@]}")
done
deep="cse-test-$$-$RANDOM-deep.service"
mkdir "$wide/sibling-with-a-name-long-enough-50/$deep" "$wide/a/b/$deep.d" &&
	cgroups=("$wide/sibling-with-a-name-long-enough-50/$deep" "$wide/a/b/$deep.d" "${cgroups[@]}")
expect_exit "targets: --unit found below the 50th of 100 siblings" 3 \
	"^$wide/sibling-with-a-name-long-enough-50/$deep: no egress program" -- status --unit "$deep"
expect_exit "targets: ... and 3 levels down, after them" 3 "^$wide/a/b/$deep.d: no egress" -- status --unit "$deep.d"

# Short names make the smallest getdents64 records (24 bytes, less than the
# padded struct): 200 of them, each holding a cgroup of one name, and the
# search must go into every one, also those that end a batch.
short="$CG/short"
mkdir "$short" && cgroups=("$short" "${cgroups[@]}")
dup="cse-test-$$-$RANDOM-dup.scope"
for i in $(seq 1 200); do
	mkdir -p "$short/s$i/$dup" && cgroups=("$short/s$i/$dup" "$short/s$i" "${cgroups[@]}")
done
expect_exit "targets: 200 short-named cgroups each holding the unit's name: all 200 found" 2 \
	"--unit $dup: 200 cgroups have that name" -- status --unit "$dup"

# Two cgroups of one name: which one is meant is not guessed.
twin="cse-test-$$-$RANDOM.service"
mkdir "$CG/$twin" && cgroups=("$CG/$twin" "${cgroups[@]}")
mkdir "$CG2/$twin" && cgroups=("$CG2/$twin" "${cgroups[@]}")
expect_exit "targets: --unit naming two cgroups is refused, with both paths (exit 2)" 2 \
	"2 cgroups have that name, .*$twin and .*$twin; pass -c" -- block --unit "$twin" 127.0.0.2
check "targets: ... and nothing was attached to either" \
	test "$(prog_count "$CG/$twin")$(prog_count "$CG2/$twin")" = 00
expect_exit "targets: --unit of a unit that is not running: exit 2, what to do" 2 \
	"no cgroup of that name under $CG2: the unit is not running" -- block --unit "cse-none-$$.service" 127.0.0.2
expect_exit "targets: --unit with a slash is not a unit name" 2 "is not a unit name" -- status --unit a/b.service

# --pid: the cgroup a process is in now.
sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 60' sh "$CG" &
pid_in_cg=$!
pids+=("$pid_in_cg")
for _ in 1 2 3 4 5 6 7 8 9 10; do
	grep -q "^0::${CG#"$CG2"}$" "/proc/$pid_in_cg/cgroup" && break
	sleep 0.1
done
expect_exit "targets: block --pid PID attaches to that process's cgroup" 0 \
	"attached program id .* to $CG " -- block --pid "$pid_in_cg" 127.0.0.2
check "targets: ... where the packet to the blocked address is dropped" \
	test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"
expect_exit "targets: status --pid shows the path" 0 "^$CG: egress program id" -- status --pid "$pid_in_cg"
expect_exit "targets: detach --pid" 0 "detached egress program id" -- detach --pid "$pid_in_cg"
kill "$pid_in_cg" 2>/dev/null
wait "$pid_in_cg" 2>/dev/null
expect_exit "targets: --pid of a process that is gone: exit 2, says so" 2 \
	"reading /proc/$pid_in_cg/cgroup for --pid: No such file or directory; no such process runs here" -- \
	block --pid "$pid_in_cg" 127.0.0.2
expect_exit "targets: --pid 0 is refused" 2 "option --pid: '0' is not a whole number" -- status --pid 0
expect_exit "targets: -c with --unit is refused (one names the cgroup)" 2 \
	"give one of them, once" -- status -c "$CG" --unit "$unit_name"
expect_exit "targets: two --pid are refused" 2 "give one of them, once" -- status --pid 1 --pid 2

if [ -n "$unit_pid" ]; then
	kill "$unit_pid" 2>/dev/null
	wait "$unit_pid" 2>/dev/null
fi

# What a unit's restart does, as the man page says: the cgroup removed and
# made again at the same path has nothing attached.
expect_exit "targets: block on a unit's cgroup" 0 "attached program id" -- block --unit "$unit_name" 127.0.0.2
if [ -z "$unit_pid" ] && rmdir "$unit_cg" && mkdir "$unit_cg"; then
	expect_exit "targets: a unit's cgroup made again at the same path has nothing attached (exit 3)" 3 \
		"no egress program attached" -- status --unit "$unit_name"
else
	detach_rc=$("$BIN" detach --unit "$unit_name" >/dev/null 2>&1; echo $?)
	check "targets: (systemd's scope) detached" test "$detach_rc" = 0
fi
