# metrics.sh - status --prometheus: the counts in the Prometheus text format,
# checked by promtool where it is there (test/deps.sh unpacks it from
# Debian's prometheus package) and always by the format's grammar
# (test/prom_check.awk). Sourced by test/e2e.sh after test/lib.sh.
# shellcheck shell=bash

PROMTOOL=${PROMTOOL:-$(command -v promtool || echo "$HOME/.cache/cgroup-skb-egress/promtool/usr/bin/promtool")}
# metrics_valid FILE: promtool's verdict (when there is one) and the grammar's
metrics_valid() {
	if [ -x "$PROMTOOL" ] && ! "$PROMTOOL" check metrics <"$1"; then return 1; fi
	awk -f test/prom_check.awk "$1"
}
if [ -x "$PROMTOOL" ]; then
	echo "metrics: checked by $PROMTOOL and by the grammar"
else
	echo "metrics: promtool is not here: checked by the grammar only (test/deps.sh unpacks it)"
fi
metric() { # FILE NAME LABELS: the value of one sample
	grep -F "cgroup_skb_egress_$2{cgroup=\"$CG\"$3} " "$1" | awk '{ print $NF }'
}

new_cgroup
expect_exit "metrics: nothing of ours attached: exit 3, and the metrics say so" 3 \
	"^cgroup_skb_egress_attached{cgroup=\"$CG\",hook=\"egress\"} 0$" -- status --prometheus -c "$CG"
check "metrics: ... valid" metrics_valid "$TMP/cli.out"

"$BIN" block -c "$CG" --direction both 127.0.0.2 127.0.0.8/30 >/dev/null 2>&1
"$BIN" allow -c "$CG" 127.0.0.9 >/dev/null 2>&1
for _ in 1 2 3; do probe "$CG" udp 127.0.0.2 >/dev/null; done
probe "$CG" udp 127.0.0.10 >/dev/null
probe "$CG" udp 127.0.0.9 >/dev/null
expect_exit "metrics: status --prometheus --top 2 on an instance: exit 0" 0 "^# TYPE cgroup_skb_egress_dropped_packets_total counter$" -- \
	status --prometheus --top 2 -c "$CG"
cp "$TMP/cli.out" "$TMP/metrics.txt"
check "metrics: valid (promtool check metrics, and the grammar)" metrics_valid "$TMP/metrics.txt"
check "metrics: attached on both hooks" \
	test "$(metric "$TMP/metrics.txt" attached ',hook="egress"')$(metric "$TMP/metrics.txt" attached ',hook="ingress"')" = 11
check "metrics: dropped per hook: 4 on egress (3 to 127.0.0.2, 1 to the prefix)" \
	test "$(metric "$TMP/metrics.txt" dropped_packets_total ',hook="egress"')" = 4
check "metrics: allowed per hook: the allow entry inside the blocked prefix, 1" \
	test "$(metric "$TMP/metrics.txt" allowed_packets_total ',hook="egress"')" = 1
check "metrics: entries by kind, and the room" \
	test "$(metric "$TMP/metrics.txt" entries ',kind="address"') $(metric "$TMP/metrics.txt" entries ',kind="prefix"') $(metric "$TMP/metrics.txt" entries_max ',kind="address"')" = "2 1 1024"
check "metrics: allow entries 1, default deny 0" \
	test "$(metric "$TMP/metrics.txt" allow_entries '') $(metric "$TMP/metrics.txt" default_deny '')" = "1 0"
check "metrics: events lost and unsent, per hook" \
	test "$(metric "$TMP/metrics.txt" events_lost_total ',hook="egress"')" = 0
check "metrics: --top 2: the entries that dropped most, most first" \
	test "$(grep '^cgroup_skb_egress_address_dropped_packets_total' "$TMP/metrics.txt" | sed 's/.*address="\([^"]*\)"} \(.*\)/\1=\2/' | tr '\n' ' ')" = "127.0.0.2=3 127.0.0.8/30=1 "
"$BIN" block -c "$CG" --default deny >/dev/null 2>&1
probe "$CG" udp 127.0.0.1 >/dev/null
"$BIN" status --prometheus -c "$CG" >"$TMP/metrics.txt" 2>&1
check "metrics: default deny: 1, and the denied packet counted" \
	test "$(metric "$TMP/metrics.txt" default_deny '') $(metric "$TMP/metrics.txt" denied_packets_total ',hook="egress"')" = "1 1"
"$BIN" detach -c "$CG" >/dev/null 2>&1

# A cgroup path with a quote, a backslash and a space: escaped as the format says.
odd="$CG/we\"ird\\ name"
mkdir "$odd" && cgroups=("$odd" "${cgroups[@]}")
"$BIN" block -c "$odd" 127.0.0.2 >/dev/null 2>&1
expect_exit "metrics: a label with a quote and a backslash is escaped" 0 \
	'attached{cgroup=".*/we\\"ird\\\\ name",hook="egress"} 1$' -- status --prometheus -c "$odd"
check "metrics: ... and valid" metrics_valid "$TMP/cli.out"
"$BIN" detach -c "$odd" >/dev/null 2>&1

expect_exit "metrics: --top without --prometheus is refused" 2 "--top goes with --prometheus" -- status --top 3 -c "$CG"
expect_exit "metrics: --prometheus with --json is refused" 2 "--prometheus without --json" -- status --prometheus --json -c "$CG"
expect_exit "metrics: --top 0 is refused" 2 "option --top: '0' is not a whole number from 1 to 100" -- status --prometheus --top 0 -c "$CG"
expect_exit "metrics: list does not take --prometheus" 2 "list does not take --prometheus" -- list --prometheus -c "$CG"
