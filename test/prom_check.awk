# prom_check.awk - the Prometheus text exposition format's grammar
# (https://prometheus.io/docs/instrumenting/exposition_formats/, format
# 0.0.4), checked line by line, for test/metrics.sh: what promtool checks of
# the syntax, where promtool is not there. Prints each violation with its
# line number; exits 1 if there was one.
#   awk -f test/prom_check.awk FILE
function bad(why) { printf "line %d: %s: %s\n", NR, why, $0; failed = 1 }
BEGIN {
	name_re = "[a-zA-Z_:][a-zA-Z0-9_:]*"
	label_re = "[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\[\\\\\"n])*\""
	value_re = "[-+]?([0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?|\\.[0-9]+([eE][-+]?[0-9]+)?|NaN|Inf)"
	sample_re = "^" name_re "(\\{(" label_re "(," label_re ")*,?)?\\})? " value_re "( -?[0-9]+)?$"
}
/^# HELP / {
	if ($3 !~ "^" name_re "$") bad("HELP of a bad metric name")
	if (help[$3]++) bad("a second HELP for " $3)
	next
}
/^# TYPE / {
	if ($3 !~ "^" name_re "$") bad("TYPE of a bad metric name")
	if (NF != 4 || $4 !~ /^(counter|gauge|histogram|summary|untyped)$/) bad("TYPE is not one of the five")
	if (type[$3]) bad("a second TYPE for " $3)
	if (seen[$3]) bad("TYPE after samples of " $3)
	type[$3] = $4
	next
}
/^#/ { next }
/^$/ { next }
{
	if ($0 !~ sample_re) { bad("not a sample line"); next }
	n = $0
	sub(/[{ ].*/, "", n)
	f = n # no histograms or summaries here: a sample's name is its family's
	# A family's samples come together: one seen before, then another family, then it again, is not.
	if (seen[f] && last != f) bad("samples of " f " are not together")
	if (type[f] == "counter" && f !~ /_total$/) bad("a counter's name should end in _total")
	seen[f] = 1
	last = f
	samples++
}
END {
	if (!samples) { print "no samples"; failed = 1 }
	exit failed
}
