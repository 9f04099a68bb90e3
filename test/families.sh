# families.sh - IPv6, prefixes and IPv4-mapped addresses, end to end (root).
# Sourced at the end of test/e2e.sh (static and ASan builds). Everything
# happens in a network namespace made here, on addresses assigned here:
# fd00::2, fd00::3 and fd01::2 (ULA) and 127.0.0.0/8 on its loopback. The
# clients enter it with nsenter (ip netns exec would remount /sys and hide
# the cgroup2 mount) and join the test cgroup first.
# shellcheck shell=bash

if ! command -v ip >/dev/null || ! command -v nsenter >/dev/null; then
	bad "families: needs ip (iproute2) and nsenter (util-linux)" ".ci/run installs them"
	return 0 2>/dev/null || exit 0
fi
P6=$((PORT + 1))
netns_servers NS "$P6" families fd00::2 fd00::3 fd01::2 127.0.0.2 127.0.0.5
IN=(nsenter "--net=/run/netns/$NS")
# in6 udp|tcp ADDR: a probe from inside the cgroup and the namespace
in6() { "${IN[@]}" "$HELPER" -g "$CG" "$1" "$2" "$P6" 500; }
verdicts() { # ADDR...: "udp/tcp" verdict words of each, space-separated
	local a out=""
	for a in "$@"; do out="$out $(in6 udp "$a" | cut -d' ' -f2 | tr -d :)/$(in6 tcp "$a" | cut -d' ' -f2 | tr -d :)"; done
	echo "${out# }"
}
new_cgroup
check "families: baseline: every address answers" \
	test "$(verdicts fd00::2 fd00::3 fd01::2 127.0.0.2 127.0.0.5)" = \
	"passed/passed passed/passed passed/passed passed/passed passed/passed"

expect_exit "families: block an IPv6 address, an IPv6 prefix and an IPv4 prefix" 0 "blocking 3 addresses" -- \
	block -c "$CG" fd00::2 fd01::/64 127.0.0.0/30
start_reader log6 log -c "$CG" || bad "families: log starts" "$(head -c 300 "$TMP/log6.err")"
log6=$tool_pid
check "families: IPv6 exact and prefix, IPv4 prefix: UDP and TCP dropped, neighbours pass" \
	test "$(verdicts fd00::2 fd00::3 fd01::2 127.0.0.2 127.0.0.5)" = \
	"blocked/blocked passed/passed blocked/blocked blocked/blocked passed/passed"
check "families: a dual-stack socket to ::ffff:127.0.0.2 is dropped by the IPv4 prefix" \
	grep -q "^udp blocked" <(in6 udp ::ffff:127.0.0.2)
check "families: LOG line in RFC 5952 form for a dropped IPv6 packet" \
	wait_for "$TMP/log6.out" "^LOG: DST fd00::2, ACTION 0$" 3
check "families: LOG line for a passed IPv6 packet" wait_for "$TMP/log6.out" "^LOG: DST fd00::3, ACTION 1$" 3
check "families: LOG line for the prefix" wait_for "$TMP/log6.out" "^LOG: DST fd01::2, ACTION 0$" 3
check "families: the v4-mapped packet is logged as IPv4" \
	wait_for "$TMP/log6.out" "^LOG: DST 127.0.0.2, ACTION 0$" 3
stop_tool "$log6" TERM

for _ in 1 2 3; do in6 udp fd01::2 >/dev/null; done
expect_exit "families: list shows prefixes, sorted, IPv4 first" 0 "^fd01::/64 [0-9]" -- list -c "$CG"
check "families: list order and forms" \
	test "$(cut -d' ' -f1 "$TMP/cli.out" | tr '\n' ' ')" = "127.0.0.0/30 fd00::2 fd01::/64 "
before=$(awk '$1 == "fd01::/64" { print $2 }' "$TMP/cli.out")
for _ in 1 2 3; do in6 udp fd01::2 >/dev/null; done
"$BIN" list -c "$CG" >"$TMP/cli.out" 2>/dev/null
check "families: the prefix's counter grew by the 3 packets sent" \
	test "$(awk '$1 == "fd01::/64" { print $2 }' "$TMP/cli.out")" = "$((before + 3))"
expect_exit "families: list --json carries family and prefix" 0 \
	'"family":"ipv6","allow":false,"address":"fd01::/64","prefix":true,"dropped":' -- list -c "$CG" --json
expect_exit "families: status counts addresses and prefixes apart" 0 \
	"holds 1 of 1024 entries, [0-9]* packets dropped, BLOCKNETS_A map id [0-9]* holds 2 of 1024 prefixes" -- \
	status -c "$CG"
expect_exit "families: an exact IPv4 entry catches ::ffff:127.0.0.5" 0 "added 1 address" -- \
	block -c "$CG" ::ffff:127.0.0.5
check "families: ... from a dual-stack socket" grep -q "^udp blocked" <(in6 udp ::ffff:127.0.0.5)
check "families: ... and from an IPv4 socket" grep -q "^udp blocked" <(in6 udp 127.0.0.5)
expect_exit "families: unblock the prefix" 0 "removed 1 address" -- unblock -c "$CG" fd01::/64
check "families: after unblock fd01::2 answers again" test "$(verdicts fd01::2)" = "passed/passed"
expect_exit "families: unblock of a prefix that is not there, --strict" 1 "(fd02::/64); --strict" -- \
	unblock -c "$CG" --strict fd02::/64
"$BIN" detach -c "$CG" 2>/dev/null

# run, with its own instance, logs IPv6 in JSON.
if start_tool run6 -c "$CG" -b fd00::/120 --json; then
	in6 udp fd00::2 >/dev/null
	in6 udp fd01::2 >/dev/null
	check "families: run --json: an IPv6 drop" \
		wait_for "$TMP/run6.out" '^{"family":"ipv6","address":"fd00::2","action":0,"direction":"egress"}$' 3
	check "families: run --json: an IPv6 pass" \
		wait_for "$TMP/run6.out" '^{"family":"ipv6","address":"fd01::2","action":1,"direction":"egress"}$' 3
	stop_tool "$tool_pid" TERM
	check "families: run exits 0, nothing left" test "$?/$(prog_count "$CG")" = "0/0"
else
	bad "families: run with an IPv6 prefix" "$(head -c 300 "$TMP/run6.err")"
fi


# ---- ingress: packets the cgroup receives, matched by their source -------------
expect_exit "families: block --direction ingress" 0 "(ingress, mode single)" -- \
	block -c "$CG" --direction ingress fd00::2 127.0.0.2
check "families: ingress only: nothing on the egress hook, ours on the ingress hook" \
	test "$(prog_count "$CG")/$("$HELPER" query "$CG" ingress)" = "0/1"
start_reader login log -c "$CG" || bad "families: log on ingress" "$(head -c 300 "$TMP/login.err")"
login=$tool_pid
check "families: ingress: replies from a blocked source are dropped, others pass" \
	test "$(verdicts fd00::2 fd00::3 127.0.0.2 127.0.0.5)" = \
	"blocked/blocked passed/passed blocked/blocked passed/passed"
check "families: ingress: the request went out (no EPERM), the reply did not come in" \
	grep -q "^udp blocked: no reply" <(in6 udp fd00::2)
check "families: ingress LOG lines name the source" wait_for "$TMP/login.out" "^LOG: SRC fd00::2, ACTION 0$" 3
check "families: ... and passed packets too" wait_for "$TMP/login.out" "^LOG: SRC fd00::3, ACTION 1$" 3
stop_tool "$login" TERM
expect_exit "families: status names the ingress hook" 0 "^$CG: ingress program id [0-9]* (cgroup-skb-egress" -- \
	status -c "$CG"
expect_exit "families: another direction for an instance that is there: exit 2" 2 \
	"filters ingress; .* detach. it first to filter both directions" -- block -c "$CG" --direction both fd00::3
expect_exit "families: list counts the dropped replies" 0 "^fd00::2 [1-9]" -- list -c "$CG"
check "families: list names the ingress hook" grep -q "(ingress): 2 entries" "$TMP/cli.err"
expect_exit "families: detach takes the ingress program off" 0 "detached ingress program id" -- detach -c "$CG"
check "families: nothing left on either hook" \
	test "$(prog_count "$CG")/$("$HELPER" query "$CG" ingress)" = "0/0"

# ---- both directions: one blocklist, two programs --------------------------------
expect_exit "families: block --direction both" 0 "attached program ids [0-9]* and [0-9]* to $CG (egress and ingress" -- \
	block -c "$CG" --direction both fd00::2
check "families: one program on each hook" \
	test "$(prog_count "$CG")/$("$HELPER" query "$CG" ingress)" = "1/1"
check "families: both: sending to the blocked address fails at once (egress)" \
	grep -q "^udp blocked: send" <(in6 udp fd00::2)
expect_exit "families: both: one blocklist, listed once" 0 "^fd00::2 1$" -- list -c "$CG"
check "families: both: listed once" test "$(wc -l <"$TMP/cli.out")" = 1
check "families: both: list names the hooks" grep -q "(egress and ingress): 1 entries" "$TMP/cli.err"
expect_exit "families: both: list --json says both" 0 '"direction":"both","family":"ipv6","allow":false,"address":"fd00::2"' -- \
	list -c "$CG" --json
expect_exit "families: both: a later block adds to the shared list" 0 "added 1 address to program ids" -- \
	block -c "$CG" fd00::3
check "families: both: the new address is blocked" grep -q "^udp blocked: send" <(in6 udp fd00::3)
expect_exit "families: both: detach takes both off" 0 "detached ingress program id" -- detach -c "$CG"
check "families: both: nothing left on either hook" \
	test "$(prog_count "$CG")/$("$HELPER" query "$CG" ingress)" = "0/0"
if start_tool runboth -c "$CG" --direction both -b 127.0.0.2 --json; then
	check "families: run --direction both: a program on each hook" \
		test "$(prog_count "$CG")/$("$HELPER" query "$CG" ingress)" = "1/1"
	in6 udp 127.0.0.2 >/dev/null
	check "families: run --json carries the direction" \
		wait_for "$TMP/runboth.out" '^{"family":"ipv4","address":"127.0.0.2","action":0,"direction":"egress"}$' 3
	stop_tool "$tool_pid" TERM
	check "families: run --direction both: exit 0, both hooks empty" \
		test "$?/$(prog_count "$CG")/$("$HELPER" query "$CG" ingress)" = "0/0/0"
else
	bad "families: run --direction both" "$(head -c 300 "$TMP/runboth.err")"
fi

# ---- how the program reads the packet: directly (Linux 5.2+), or with the helper ----
# The same verdicts both ways, on both hooks, for each family and a mapped address.
expect_exit "families: block, packet access chosen by the kernel (-v: the probe, then the constant)" 0 \
	"load-time constant: instruction [0-9]*, r[0-9] = 0x5d1ec7ed -> [01]" -- \
	block -v -c "$CG" --direction both fd00::2 127.0.0.2
if grep -q "probe: a program reading skb->data: loads" "$TMP/cli.err"; then want=1; else want=0; fi
check "families: ... 1 (direct) where the probe loads, else 0" \
	grep -q "0x5d1ec7ed -> $want (read " "$TMP/cli.err"
"$BIN" detach -c "$CG" >/dev/null 2>&1
# run_verdicts: each hook's program (BPF_PROG_TEST_RUN, nethelper verdict)
# on packets a socket here cannot send: IPv6 from and to different
# addresses, and an IPv6 header holding ::ffff:127.0.0.2. Egress judges
# the destination, ingress the source; fd00::2 and 127.0.0.2 are blocked.
run_verdicts() {
	local hook p out=""
	for hook in egress ingress; do
		for p in "fd00::9 fd00::2" "fd00::2 fd00::9" "fd00::9 ::ffff:127.0.0.2" \
			"::ffff:127.0.0.2 fd00::9" "10.0.0.1 127.0.0.2" "127.0.0.2 10.0.0.1"; do
			# shellcheck disable=SC2086 # two words: source and destination
			out="$out$("$HELPER" verdict "$CG" $hook $p 2>&1)"
		done
		out="$out "
	done
	echo "$out"
}
for access in direct helper; do
	if [ $access = direct ] && [ $want = 0 ]; then
		expect_exit "families: --packet-access direct where the kernel refuses it: the verifier says why" 1 \
			"reads packets directly, --packet-access helper would not" -- block -c "$CG" --packet-access direct 127.0.0.2
		continue
	fi
	expect_exit "families: --packet-access $access, both hooks" 0 "attached program ids" -- \
		block -v -c "$CG" --packet-access $access --direction both fd00::2 127.0.0.2
	check "families: --packet-access $access: the constant the option says" \
		grep -q "0x5d1ec7ed -> $([ $access = direct ] && echo 1 || echo 0) (read " "$TMP/cli.err"
	check "families: --packet-access $access: IPv6, IPv4 and mapped dropped both ways, neighbours pass" \
		test "$(verdicts fd00::2 fd00::3 127.0.0.2 127.0.0.5 ::ffff:127.0.0.2)" = \
		"blocked/blocked passed/passed blocked/blocked passed/passed blocked/blocked"
	check "families: --packet-access $access: each hook judges its end of crafted IPv6, mapped and IPv4 packets" \
		test "$(run_verdicts)" = "010101 101010 "
	"$BIN" detach -c "$CG" >/dev/null 2>&1
	expect_exit "families: --packet-access $access, ingress only" 0 "(ingress, mode single)" -- \
		block -c "$CG" --packet-access $access --direction ingress fd00::2 127.0.0.2
	check "families: --packet-access $access: ingress drops the replies from blocked sources" \
		test "$(verdicts fd00::2 fd00::3 127.0.0.2 127.0.0.5)" = \
		"blocked/blocked passed/passed blocked/blocked passed/passed"
	"$BIN" detach -c "$CG" >/dev/null 2>&1
done
# The drops come from the direct reads, not from the helper behind them:
# with a helper that always fails, direct still drops, helper drops nothing.
if [ $want = 1 ]; then
	for access in direct helper; do
		"$BIN" block -c "$CG" --object build/test/direct_only.bpf.o --packet-access $access \
			--direction both fd00::2 127.0.0.2 >/dev/null 2>&1
		[ $access = direct ] && expected="010101 101010 " || expected="111111 111111 "
		check "families: a program whose helper always fails, --packet-access $access: $expected" \
			test "$(run_verdicts)" = "$expected"
		"$BIN" detach -c "$CG" >/dev/null 2>&1
	done
fi
# run on an instance loads nothing: a --packet-access it cannot apply is said.
"$BIN" block -c "$CG" 127.0.0.2 >/dev/null 2>&1
if start_reader runacc run -c "$CG" --packet-access helper; then
	check "families: run on an instance, with --packet-access: a warning that it changes nothing" \
		grep -q "warning: --packet-access helper changes nothing here: the program attached to $CG stays as it is" \
		"$TMP/runacc.err"
	stop_tool "$tool_pid" TERM
else
	bad "families: run on an instance, with --packet-access" "$(head -c 300 "$TMP/runacc.err")"
fi
"$BIN" detach -c "$CG" >/dev/null 2>&1
# Verifiers this machine does not have: one before 5.2 (a socket filter's,
# which refuses skb->data as theirs did), and one that checks alignment.
build/test/verifier_ways "$OBJ" >"$TMP/ways.out" 2>&1
ways_rc=$?
check "families: the constant 0 hides the direct reads from a verifier that refuses them, 1 does not; both pass strict alignment" \
	eval 'test $ways_rc = 0 && test "$(grep -c "^ok " "$TMP/ways.out")" = 8'
grep -v "^ok " "$TMP/ways.out" | head -n 4 | sed 's/^/    /'
expect_exit "families: --packet-access takes auto, direct or helper" 2 "--packet-access" -- \
	block -c "$CG" --packet-access fast 127.0.0.2
ip netns del "$NS"
