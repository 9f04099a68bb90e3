# expiry.sh - entries that lapse (--timeout, --jitter), enforced by the
# program with no process of ours running, and the lists `list` writes read
# back by `block -f`, with published feeds as they come. Sourced by
# test/e2e.sh after oneshot.sh (its DROPPED, probe and servers).
# shellcheck shell=bash

new_cgroup

# ---- options that are wrong before anything is loaded -------------------------------
expect_exit "expiry: --timeout 0s is refused" 2 "option --timeout: '0s' is not a duration from 1s" -- \
	block -c "$CG" --timeout 0s 127.0.0.2
expect_exit "expiry: --timeout 5x is refused" 2 "option --timeout: '5x' is not a duration" -- \
	block -c "$CG" --timeout 5x 127.0.0.2
expect_exit "expiry: --jitter needs --timeout" 2 "--jitter spreads the expiry that --timeout sets" -- \
	block -c "$CG" --jitter 10 127.0.0.2
expect_exit "expiry: --jitter above 100 is refused" 2 "option --jitter: '101' is not a whole number from 0 to 100" -- \
	block -c "$CG" --timeout 1m --jitter 101 127.0.0.2
expect_exit "expiry: unblock takes no --timeout" 2 "unblock does not take --timeout" -- \
	unblock -c "$CG" --timeout 1m 127.0.0.2
check "expiry: nothing attached by the refusals" test "$(prog_count "$CG")" = 0

# ---- an entry that lapses with no process running -------------------------------------
# ms since the epoch, for the timings below.
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
t0=$(now_ms)
expect_exit "expiry: block --timeout 3s exits 0" 0 "blocking 1 address" -- block -c "$CG" --timeout 3s 127.0.0.2
check "expiry: blocked while its time runs" test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"
expect_exit "expiry: list shows the time left" 0 "^127.0.0.2 1 [23]s$" -- list -c "$CG"
expect_exit "expiry: list --json shows expires_in" 0 '"address":"127.0.0.2","prefix":false,"dropped":1,"expires_in":[23]}' -- \
	list -c "$CG" --json
sleep 1.1
expect_exit "expiry: the time left goes down" 0 "^127.0.0.2 1 [12]s$" -- list -c "$CG"
# Probe every 100 ms until a datagram passes: it must be after 3 s, and
# within a second of it.
passed_at=
while [ $(($(now_ms) - t0)) -lt 6000 ]; do
	if [ "$(probe "$CG" udp 127.0.0.2)" = "udp passed" ]; then
		passed_at=$(($(now_ms) - t0))
		break
	fi
	sleep 0.1
done
echo "    expiry: first datagram through ${passed_at:-never} ms after block --timeout 3s"
check "expiry: it passes once lapsed, within a second of its expiry, with no process running" \
	eval '[ -n "$passed_at" ] && [ "$passed_at" -ge 2900 ] && [ "$passed_at" -le 4000 ]'
expect_exit "expiry: status counts the lapsed entry out" 0 '"entries":0,' -- status -c "$CG" --json
expect_exit "expiry: list does not show it, and deletes it (-v)" 0 "1 lapsed entry deleted" -- list -c "$CG" -v
check "expiry: list printed nothing" test ! -s "$TMP/cli.out"

# ---- blocking again refreshes, keeping the counter -------------------------------------
"$BIN" block -c "$CG" --timeout 2s 127.0.0.2 >/dev/null 2>&1
for _ in 1 2; do probe "$CG" udp 127.0.0.2 >/dev/null; done
expect_exit "expiry: block again with a longer --timeout: a new expiry" 0 \
	"(1 there already with a new expiry, 0 as they were)" -- block -c "$CG" --timeout 1h 127.0.0.2
expect_exit "expiry: ... the counter kept, an hour left" 0 "^127.0.0.2 2 3[56][0-9][0-9]s$" -- list -c "$CG"
expect_exit "expiry: block again without --timeout: for good" 0 "with a new expiry" -- block -c "$CG" 127.0.0.2
expect_exit "expiry: ... no time left shown, counter kept" 0 "^127.0.0.2 2$" -- list -c "$CG"
expect_exit "expiry: block --timeout on an entry there for good sets its time" 0 "with a new expiry" -- \
	block -c "$CG" --timeout 2s 127.0.0.2
sleep 2.2
check "expiry: ... and then it lapses" test "$(probe "$CG" udp 127.0.0.2)" = "udp passed"

# ---- a prefix lapses too; a lapsed single address leaves a prefix blocking -------------
"$BIN" block -c "$CG" --timeout 1s 127.0.0.2 >/dev/null 2>&1
"$BIN" block -c "$CG" --timeout 1h 127.0.0.0/30 >/dev/null 2>&1
sleep 1.2
check "expiry: a lapsed address still blocked by its live prefix" test "$(probe "$CG" udp 127.0.0.2)" = "$DROPPED"
"$BIN" block -c "$CG" --timeout 1s 127.0.0.0/30 >/dev/null 2>&1
sleep 1.2
check "expiry: the prefix, refreshed to 1s, lapses" test "$(probe "$CG" udp 127.0.0.2)" = "udp passed"
"$BIN" detach -c "$CG" >/dev/null 2>&1

# ---- --jitter spreads a batch within its bounds -----------------------------------------
for i in $(seq 0 999); do echo "10.9.$((i / 256)).$((i % 256))"; done >"$TMP/jitter.txt"
expect_exit "expiry: 1,000 entries, --timeout 1000s --jitter 50" 0 "blocking 1000 addresses" -- \
	block -c "$CG" --timeout 1000s --jitter 50 -f "$TMP/jitter.txt"
"$BIN" list -c "$CG" --json 2>/dev/null | sed -n 's/.*"expires_in":\([0-9]*\)}$/\1/p' | sort -n >"$TMP/jitter.left"
read -r jmin jcnt jmax < <(awk 'NR == 1 { min = $1 } { max = $1 } END { print min, NR, max }' "$TMP/jitter.left")
echo "    expiry: 1,000 entries with --jitter 50 lapse in ${jmin}..${jmax} s"
check "expiry: all 1,000 between 500 and 1000 s, spread over at least 300 s" \
	eval '[ "$jcnt" = 1000 ] && [ "$jmin" -ge 499 ] && [ "$jmax" -le 1000 ] && [ $((jmax - jmin)) -ge 300 ]'
"$BIN" detach -c "$CG" >/dev/null 2>&1

# ---- what list prints, block -f reads back ------------------------------------------------
"$BIN" block -c "$CG" 127.0.0.2 10.8.0.0/16 2001:db8::/32 >/dev/null 2>&1
"$BIN" block -c "$CG" --timeout 1h 10.7.0.1 >/dev/null 2>&1
"$BIN" list -c "$CG" >"$TMP/saved.txt" 2>/dev/null
"$BIN" list -c "$CG" --json >"$TMP/saved.json" 2>/dev/null
"$BIN" detach -c "$CG" >/dev/null 2>&1
for form in txt json; do
	expect_exit "expiry: block -f of list's $form output" 0 "blocking 4 addresses" -- block -c "$CG" -f "$TMP/saved.$form"
	expect_exit "expiry: ... the same entries, the time left re-applied" 0 "^10.7.0.1 0 3[56][0-9][0-9]s$" -- list -c "$CG"
	check "expiry: ... permanent ones stay permanent ($form)" \
		eval 'grep -q "^127.0.0.2 0$" "$TMP/cli.out" && grep -q "^10.8.0.0/16 0$" "$TMP/cli.out" &&
			grep -q "^2001:db8::/32 0$" "$TMP/cli.out"'
	"$BIN" detach -c "$CG" >/dev/null 2>&1
done

# ---- feeds as published --------------------------------------------------------------------
printf '\357\273\277; Spamhaus DROP List 2026/12/05 - (c) 2026 The Spamhaus Project\r\n; Expires: Sat, 06 Dec 2026\r\n1.10.16.0/20 ; SBL256894\r\n2.57.122.0/24 ; SBL636050\r\n' \
	>"$TMP/drop.txt"
expect_exit "expiry: Spamhaus's DROP list as published (BOM, ';' comments, CRLF)" 0 "blocking 2 addresses" -- \
	block -c "$CG" -f "$TMP/drop.txt"
expect_exit "expiry: ... both prefixes in the list" 0 "^2.57.122.0/24 0$" -- list -c "$CG"
"$BIN" detach -c "$CG" >/dev/null 2>&1
printf '1.2.3.4\n\357\273\2775.6.7.8\n' >"$TMP/late-bom.txt"
expect_exit "expiry: a mark past the start is a bad line, shown escaped" 2 \
	"late-bom.txt:2: '\\\\xef\\\\xbb\\\\xbf5.6.7.8' is not an IPv4 or IPv6 address" -- block -c "$CG" -f "$TMP/late-bom.txt"
