# bench/prog/drop_maps.awk - prog.bpf.c for the libbpf peers: its eight legacy
# map definitions (from a line starting "TYPED_MAP_DEF" or "struct
# legacy_map_def" to the next "};", and the four one-line "SINGLES(...);" or
# "PREFIXES(...);") replaced by #include "btf_maps.bpf.h",
# and its ring buffer program (from SEC("cgroup/skb/ringbuf") to the next
# "}") left out: libbpf knows no such section, and the peers read the perf
# rings. Fails unless it replaced exactly eight maps and one program, so a
# change to prog.bpf.c that moves them cannot slip by.
/^(TYPED_MAP_DEF|struct legacy_map_def)/ {
	if (!dropped++)
		print "#include \"btf_maps.bpf.h\""
	skipping = 1
}
/^(SINGLES|PREFIXES)\([A-Z_]*\);$/ {
	if (!dropped++)
		print "#include \"btf_maps.bpf.h\""
	next
}
/^SEC\("cgroup\/skb\/ringbuf"\)/ {
	programs++
	skipping = 2
}
skipping == 1 {
	if ($0 ~ /^};/)
		skipping = 0
	next
}
skipping == 2 {
	if ($0 ~ /^}/)
		skipping = 0
	next
}
{ print }
END {
	if (dropped != 8 || programs != 1) {
		print "drop_maps.awk: found " dropped " map definitions (not 8) and " programs " ring buffer programs (not 1) in prog.bpf.c" > "/dev/stderr"
		exit 1
	}
}
