# allow.sh - allow entries and the default policy, end to end (root).
# Sourced by test/e2e.sh after test/lib.sh (static and ASan builds). A
# network namespace made here holds the servers: on its loopback
# 127.0.0.1, 127.0.0.2 and ::1, and fd00::2, the neighbour that default
# deny must drop. Clients enter it with nsenter and join the test cgroup.
# shellcheck shell=bash

if ! command -v ip >/dev/null || ! command -v nsenter >/dev/null; then
	bad "allow: needs ip (iproute2) and nsenter (util-linux)" ".ci/run installs them"
	return 0 2>/dev/null || exit 0
fi
AP=$((PORT + 2))
netns_servers ANS "$AP" allow 127.0.0.1 127.0.0.2 ::1 fd00::2
AIN=(nsenter "--net=/run/netns/$ANS")
# averdict ADDR...: each one's UDP verdict word from inside the cgroup and the namespace
averdict() {
	local a out=""
	for a in "$@"; do out="$out $("${AIN[@]}" "$HELPER" -g "$CG" udp "$a" "$AP" 500 | cut -d' ' -f2 | tr -d :)"; done
	echo "${out# }"
}
new_cgroup
check "allow: baseline: every address answers" \
	test "$(averdict 127.0.0.1 127.0.0.2 ::1 fd00::2)" = "passed passed passed passed"

# An allow entry wins over any block entry: a longer block prefix, or the same address.
"$BIN" block -c "$CG" 127.0.0.0/8 fd00::2 >/dev/null 2>&1
expect_exit "allow: allow ADDR on an instance: exit 0" 0 "added 1 address" -- allow -c "$CG" 127.0.0.2
check "allow: the allowed address passes though a block prefix covers it; the others stay dropped" \
	test "$(averdict 127.0.0.1 127.0.0.2 fd00::2)" = "blocked passed blocked"
expect_exit "allow: an allow prefix wins over a block entry of the same address" 0 "added 1 address" -- \
	allow -c "$CG" fd00::/64
check "allow: ... fd00::2 passes" test "$(averdict fd00::2)" = "passed"
expect_exit "allow: list marks allow entries, with the packets they let through" 0 \
	"^127.0.0.2 1 allow$" -- list -c "$CG"
check "allow: ... and block entries as before" grep -q "^127.0.0.0/8 1$" "$TMP/cli.out"
expect_exit "allow: list --json: \"allow\":true, and \"passed\" for \"dropped\"" 0 \
	'"allow":true,"address":"fd00::/64","prefix":true,"passed":1,"expires_in":null}$' -- list --json -c "$CG"
check "allow: list --json: block entries say \"allow\":false and \"dropped\"" \
	grep -q '"allow":false,"address":"127.0.0.0/8","prefix":true,"dropped":1,"expires_in":null}$' "$TMP/cli.out"
expect_exit "allow: status counts the verdicts of the hook" 0 \
	"(2 of the entries allow), default allow (this hook: 2 dropped by entries, 2 let through by allow entries, 0 denied), EVENTS map id" -- status -c "$CG"
expect_exit "allow: status --json: default, allow_entries, entry_drops, allowed, denied" 0 \
	'"allow_entries":2,.*"default":"allow","entry_drops":2,"allowed":2,"denied":0,"unsent":0,"lost":0}$' -- status --json -c "$CG"

# What list prints reads back, allow entries included.
"$BIN" list -c "$CG" >"$TMP/allow-saved.txt" 2>/dev/null
"$BIN" list --json -c "$CG" >"$TMP/allow-saved.json" 2>/dev/null
expect_exit "allow: unallow ADDR removes the allow entry only" 0 "removed 1" -- unallow -c "$CG" 127.0.0.2
check "allow: ... 127.0.0.2 is dropped again by the block prefix" test "$(averdict 127.0.0.2)" = "blocked"
expect_exit "allow: unblock does not take an allow entry away" 1 "not blocked" -- unblock -c "$CG" --strict fd00::/64
expect_exit "allow: unblock -f of a saved list with allow lines is refused, nothing removed" 2 \
	"unblock removes block entries; the list given has allow entries: remove those with unallow" -- \
	unblock -c "$CG" -f "$TMP/allow-saved.txt"
expect_exit "allow: unallow says \"not allowed\" of what is not an allow entry" 1 "1 address is not allowed on $CG" -- \
	unallow -c "$CG" --strict 127.0.0.1
"$BIN" detach -c "$CG" >/dev/null 2>&1
expect_exit "allow: list's text reads back through -f, allow entries as allow entries" 0 "blocking 4 addresses" -- \
	block -c "$CG" -f "$TMP/allow-saved.txt"
check "allow: ... restored: 127.0.0.2 and fd00::2 pass, 127.0.0.1 is dropped" \
	test "$(averdict 127.0.0.1 127.0.0.2 fd00::2)" = "blocked passed passed"
"$BIN" detach -c "$CG" >/dev/null 2>&1
expect_exit "allow: list --json reads back through -f too" 0 "blocking 4 addresses" -- \
	block -c "$CG" -f "$TMP/allow-saved.json"
expect_exit "allow: ... with both allow entries" 0 "^fd00::/64 0 allow$" -- list -c "$CG"

# replace: a feed of block entries replaces the blocklist, and the allow-list stays.
printf '127.0.0.1\n' >"$TMP/allow-feed.txt"
expect_exit "allow: replace with block entries only keeps the allow entries" 0 "replaced the list" -- \
	replace -c "$CG" -f "$TMP/allow-feed.txt"
check "allow: ... list: the feed and the two allow entries" \
	test "$("$BIN" list -c "$CG" 2>/dev/null | cut -d' ' -f1,3 | tr '\n' ' ')" = "127.0.0.1 127.0.0.2 allow fd00::/64 allow "
printf '127.0.0.1\n::1 0 allow\n' >"$TMP/allow-feed2.txt"
expect_exit "allow: replace with allow entries replaces the allow-list too" 0 "replaced the list" -- \
	replace -c "$CG" -f "$TMP/allow-feed2.txt"
check "allow: ... list: the feed's two entries only" \
	test "$("$BIN" list -c "$CG" 2>/dev/null | cut -d' ' -f1,3 | tr '\n' ' ')" = "127.0.0.1 ::1 allow "
"$BIN" detach -c "$CG" >/dev/null 2>&1

# Default deny: only what an allow entry matches passes; loopback is not special.
expect_exit "allow: block --default deny on a new instance, with no address" 0 "attached program id" -- \
	block -c "$CG" --default deny
check "allow: default deny, nothing allowed: loopback is dropped too" \
	test "$(averdict 127.0.0.1 ::1 fd00::2)" = "blocked blocked blocked"
expect_exit "allow: allow 127.0.0.0/8 ::1, as the man page shows" 0 "added 2 addresses" -- \
	allow -c "$CG" 127.0.0.0/8 ::1
check "allow: default deny with loopback allowed: loopback passes, the neighbour fd00::2 is dropped" \
	test "$(averdict 127.0.0.1 127.0.0.2 ::1 fd00::2)" = "passed passed passed blocked"
expect_exit "allow: status says default deny and counts the denied" 0 \
	"default deny (this hook: 0 dropped by entries, 3 let through by allow entries, 4 denied), EVENTS" -- status -c "$CG"
expect_exit "allow: block --default allow turns it off, and says so" 0 "the default on $CG is allow now" -- \
	block -c "$CG" --default allow
check "allow: ... the neighbour passes again" test "$(averdict fd00::2)" = "passed"
expect_exit "allow: block --default deny on an instance says what it means" 0 \
	"the default on $CG is deny now: only what an allow entry matches passes" -- block -c "$CG" --default deny
check "allow: ... and it holds" test "$(averdict 127.0.0.2 fd00::2)" = "passed blocked"
expect_exit "allow: replace without addresses is still an error with --default" 2 "needs at least one address" -- \
	replace -c "$CG" --default deny
expect_exit "allow: --default takes allow or deny only" 2 "option --default: 'maybe' is not allow or deny" -- \
	block -c "$CG" --default maybe
expect_exit "allow: unblock does not take --default" 2 "unblock does not take --default" -- \
	unblock -c "$CG" --default deny 127.0.0.2
# An upgrade keeps the policy: a larger --max-entries makes a new instance.
expect_exit "allow: an upgrade (larger --max-entries) keeps default deny" 0 "upgrading program id" -- \
	block -c "$CG" --max-entries 2048 127.0.0.9
check "allow: ... the neighbour is still dropped, loopback still passes" \
	test "$(averdict 127.0.0.2 fd00::2)" = "passed blocked"
"$BIN" detach -c "$CG" >/dev/null 2>&1
ip netns del "$ANS"
