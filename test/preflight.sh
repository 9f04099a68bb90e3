# preflight.sh - `check`: what this kernel and host give the tool, and
# whether blocking will work. Sourced by test/e2e.sh after test/lib.sh;
# the boot tests (test/vm/init) run it on every guest kernel too.
# shellcheck shell=bash

check_names="cgroup2 bpf cgroup egress ingress maps batch jit perf ringbuf memlock caps btf program packets"
expect_exit "check: exit 0 on this kernel, the verdict first" 0 "^blocking: will work; LOG lines: through perf rings$" -- check -c "$CG"
check "check: the verdict is the first line" grep -q "^blocking: will work" <(head -n 1 "$TMP/cli.out")
missing=""
for n in $check_names; do grep -Eq "^(ok|info|warn) +$n " "$TMP/cli.out" || missing="$missing $n"; done
check "check: one line for each of $check_names${missing:+ (missing:$missing)}" test -z "$missing"
check "check: the program line proves the load" \
	grep -Eq "^ok +program +the blocklist program \([0-9]+ instructions, events by perf\) and its maps load and pass the verifier$" "$TMP/cli.out"
if "$BIN" block -v -c "$CG" 127.0.0.2 2>&1 | grep -q "0x5d1ec7ed -> 1"; then how="reads them directly"; else how="copies them with"; fi
"$BIN" detach -c "$CG" >/dev/null 2>&1
check "check: the packets line says what block's program does ($how)" grep -Eq "^ok +packets +the program $how" "$TMP/cli.out"
check "check: nothing of the check is left in the kernel" test "$(prog_count "$CG")" = 0
ids_before=$(settled_ids)
"$BIN" check -c "$CG" >/dev/null 2>&1
check "check: no program or map outlives it" ids_are "$ids_before"

expect_exit "check --json: the verdict first, as JSON" 0 '^{"blocking":true,"reason":"","events":"perf"}$' -- check --json -c "$CG"
check "check --json: every line is one object of check, result, detail" \
	test "$(tail -n +2 "$TMP/cli.out" | grep -cEv '^\{"check":"[a-z0-9]+","result":"(ok|info|warn|FAIL)","detail":"([^"\\]|\\.)*"\}$')" = 0
check "check --json: as many lines as the text" test "$(wc -l <"$TMP/cli.out")" = "$("$BIN" check -c "$CG" | wc -l)"

# What is on the hooks: ours, and another's that `block` would not displace.
"$BIN" block -c "$CG" 127.0.0.2 >/dev/null 2>&1
expect_exit "check: our instance on the hook is named as ours" 0 \
	"^info egress   program id [0-9]* (ours, persistent), mode single$" -- check -c "$CG"
"$BIN" detach -c "$CG" >/dev/null 2>&1
"$HELPER" attach-foreign "$CG" single
expect_exit "check: another's program in single mode on egress: blocking will not work, exit 1, the reason first" 1 \
	"^blocking: will NOT work: egress: program id [0-9]* (not ours), mode single: \`block\` would be refused here; another program owns the hook$" -- check -c "$CG"
"$HELPER" detach-all "$CG"

expect_exit "check: a cgroup that is not there: exit 1, the reason first" 1 \
	"^blocking: will NOT work: cgroup: /nonexistent-$$: No such file or directory; give a cgroup v2 directory with -c, --unit or --pid$" -- check -c "/nonexistent-$$"
expect_exit "check: a directory that is not cgroup v2: exit 1" 1 \
	"^FAIL cgroup   $TMP: not a cgroup v2 directory; give a cgroup v2 directory with -c, --unit or --pid$" -- check -c "$TMP"
if command -v setpriv >/dev/null; then
	REAL_BIN=$BIN
	run_as --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all --bounding-set=-all
	expect_exit "check as nobody: exit 1, the missing capabilities first" 1 \
		"^blocking: will NOT work: bpf: BPF_PROG_LOAD of a cgroup SKB program: Operation not permitted; missing CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON: run as root$" \
		-- check -c "$CG"
	check "check as nobody: the caps line says what is missing" \
		grep -q "^info caps     held: none; missing: CAP_BPF CAP_NET_ADMIN CAP_PERFMON CAP_SYS_ADMIN$" "$TMP/cli.out"
	run_as --inh-caps=-all --bounding-set=-perfmon,-sys_admin
	expect_exit "check without CAP_PERFMON: blocking works, LOG lines through the ring buffer" 0 \
		"^blocking: will work; LOG lines: through the BPF ring buffer (--events auto takes it)$" -- check -c "$CG"
	check "check without CAP_PERFMON: the perf line says why not" \
		grep -q "^info perf     perf_event_open() fails with Permission denied" "$TMP/cli.out"
	check "check without CAP_PERFMON: the program is proved with the ring buffer's" \
		grep -Eq "^ok +program .* events by ringbuf\) and its maps load" "$TMP/cli.out"
	BIN=$REAL_BIN
else
	bad "check: privilege tests" "setpriv (util-linux) is not installed"
fi
