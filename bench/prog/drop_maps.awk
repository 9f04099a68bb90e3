# bench/prog/drop_maps.awk - prog.bpf.c with its four legacy map definitions
# (from a line starting "TYPED_MAP_DEF" or "struct legacy_map_def" to the
# next "};") replaced by #include "btf_maps.bpf.h", for the libbpf peers.
# Fails unless it replaced exactly four, so a change to prog.bpf.c that
# moves them cannot slip by.
/^(TYPED_MAP_DEF|struct legacy_map_def)/ {
	if (!dropped++)
		print "#include \"btf_maps.bpf.h\""
	skipping = 1
}
skipping {
	if ($0 ~ /^};/)
		skipping = 0
	next
}
{ print }
END {
	if (dropped != 4) {
		print "drop_maps.awk: found " dropped " map definitions in prog.bpf.c, not 4" > "/dev/stderr"
		exit 1
	}
}
