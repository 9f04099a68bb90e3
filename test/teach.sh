# teach.sh - the teaching layer against the real kernel (root): the -v/-vv
# trace, BTF loaded by hand, source lines in verifier rejections. Sourced by
# test/run.sh with BIN set to the static binary, then to the ASan build;
# EMBEDDED names the object that build carries.
#
# What it takes of the machine, beyond the rest of the tests: a kernel with
# DATASEC BTF (5.2) and program BTF (5.0); bpftool's JSON-like dump format;
# clang's layout of prog.bpf.o's BTF (the first type a pointer, one
# line_info block, the program's). Kernels before 6.8 or so print source
# lines without " @ file:line"; the checks accept both.
# shellcheck shell=bash

new_cgroup
TRACE="$TMP/teach.trace"

# ---- the trace of a block, step by step ---------------------------------------------
"$BIN" block -vv -c "$CG" 192.0.2.1 >/dev/null 2>"$TRACE"
check "teach: block -vv exits 0" test $? -eq 0
# Every relocation the object has (llvm-readelf -r), by instruction and map.
# Those of the program the run takes: section cgroup/skb (perf, this kernel's choice).
relocs=$(llvm-readelf -r "$EMBEDDED" | awk '/^Relocation section/ { s = $3 } s == "'"'"'.relcgroup/skb'"'"'" && $3 == "R_BPF_64_64" { print $1, $5 }' |
	while read -r off sym; do echo "$((16#$off / 8)) $sym"; done)
trace_names_relocations() {
	local idx sym n=0
	while read -r idx sym; do
		n=$((n + 1))
		grep -q "^step 8: relocation for egress: instruction $idx (ld_imm64 r[0-9]*), map $sym: src_reg 0 -> 1 (BPF_PSEUDO_MAP_FD), imm 0 -> [0-9]* (its fd)" "$TRACE" ||
			{ echo "    no trace of the relocation of instruction $idx to $sym"; return 1; }
	done <<<"$relocs"
	[ "$n" -ge 4 ] && [ "$(grep -c '^step 8: relocation' "$TRACE")" -eq "$n" ]
}
check "teach: the trace names every relocation the object has (llvm-readelf -r), and no other" trace_names_relocations
steps_in_order() {
	local last=0 n
	for n in $(grep -o '^step [0-9]*' "$TRACE" | awk '{ print $2 }'); do
		[ "$n" -ge "$last" ] || { echo "    step $n after step $last"; return 1; }
		last=$n
	done
	for n in 2 3 4 5 6 7 8 9 11; do grep -q "^step $n: " "$TRACE" || { echo "    no step $n"; return 1; }; done
}
check "teach: steps 2 to 11 appear, in the order of loader.c and docs/walkthrough.md" steps_in_order
check "teach: each ELF section, with index, name, type and size" \
	grep -Eq '^  section +[0-9]+ \.symtab +SYMTAB +type 0x2, [0-9]+ bytes' "$TRACE"
check "teach: each map created, with the fd the kernel gave it" \
	grep -Eq '^step 6: BPF_MAP_CREATE BLOCKLIST_A: map_type 1, key_size 24, .* -> fd [0-9]+, map id [1-9]' "$TRACE"
check "teach: BPF_BTF_LOAD and the key and value types of BLOCKLIST_A" \
	eval 'grep -q "^step 6: BPF_BTF_LOAD: [0-9]* bytes -> fd" "$TRACE" && grep -Eq "BPF_MAP_CREATE BLOCKLIST_A: .*btf_key_type_id [1-9][0-9]*, btf_value_type_id [1-9]" "$TRACE"'
check "teach: the BPF_PROG_LOAD attributes and the verifier's summary line" \
	eval 'grep -Eq "^step 9: BPF_PROG_LOAD: prog_type 8 \(cgroup_skb\), expected_attach_type 1 \(egress\), insn_cnt [0-9]+, .*line_info_cnt [1-9]" "$TRACE" &&
		grep -Eq "^step 9: -> fd [0-9]+, program id [0-9]+; the verifier: processed [0-9]+ insns" "$TRACE"'
check "teach: the attach call and its flags" \
	grep -Eq '^step 11: BPF_PROG_ATTACH: program fd [0-9]+ \(id [0-9]+\) to cgroup fd [0-9]+, attach_type 1 \(egress\), attach_flags 0x0 \(single\)' "$TRACE"
# -vv: the instructions before relocation, then with each map's id in place.
blocklist_id=$(sed -n 's/^step 6: BPF_MAP_CREATE BLOCKLIST_A: .*map id \([0-9]*\)$/\1/p' "$TRACE")
blocklist_insn=$(awk '$2 == "BLOCKLIST_A" { print $1; exit }' <<<"$relocs")
check "teach: -vv shows the ld_imm64 of BLOCKLIST_A before relocation (r1 = 0x0) and after (map[id:N])" \
	eval '[ -n "$blocklist_insn" ] && grep -Eq "^ +$blocklist_insn: r[0-9]+ = 0x0\$" "$TRACE" &&
		grep -Eq "^ +$blocklist_insn: r[0-9]+ = map\[id:$blocklist_id\]\$" "$TRACE"'
prog_id=$(sed -n 's/^step 9: -> fd [0-9]*, program id \([0-9]*\);.*/\1/p' "$TRACE")

# ---- what BTF gives bpftool -------------------------------------------------------------
if command -v bpftool >/dev/null; then
	bpftool prog dump xlated id "$prog_id" >"$TMP/teach.xlated" 2>&1
	xlated_has_source() {
		local line
		while read -r line; do
			[ -n "$line" ] && grep -qF -- "$line" prog.bpf.c && return 0
		done < <(sed -n 's/^; \(.*\)$/\1/p' "$TMP/teach.xlated")
		echo "    no line of prog.bpf.c in: $(head -c 300 "$TMP/teach.xlated")"
		return 1
	}
	check "teach: bpftool prog dump xlated shows lines of prog.bpf.c" xlated_has_source
	check "teach: bpftool map dump shows BLOCKLIST_A's key field by field" \
		grep -q '"family": 4' <(bpftool map dump id "$blocklist_id")
else
	echo "SKIPPED: bpftool checks (bpftool is not installed)"
	[ "${CI:-}" = true ] && bad "teach: bpftool" "not installed under CI=true (.ci/run installs it)"
fi
"$BIN" detach -c "$CG" >/dev/null 2>&1

# The reader's steps: perf rings, from `log -v` on a persistent instance.
"$BIN" block -c "$CG" 192.0.2.1 >/dev/null 2>&1
timeout -s INT 2 "$BIN" log -v -c "$CG" >/dev/null 2>"$TRACE"
check "teach: log -v shows each perf ring (CPU, fd, pages, address) and its EVENTS slot" \
	grep -Eq '^step 10: perf_event_open CPU [0-9]+: fd [0-9]+, mmap 1 \+ 64 pages at 0x[0-9a-f]+; BPF_MAP_UPDATE_ELEM EVENTS\[[0-9]+\] = [0-9]+' "$TRACE"
expect_exit "teach: detach -v traces the detach" 0 "^BPF_PROG_DETACH: program fd" -- detach -v -c "$CG"

# ---- a rejected program, named by its source line ---------------------------------------
bad_line=$(grep -n 'return (int)skb->len;' test/bad_prog.bpf.c | cut -d: -f1)
expect_exit "teach: a verifier rejection names the source line (BTF line_info)" 1 \
	"rejected it at \(bad_prog.bpf.c:$bad_line \)\{0,1\}(return (int)skb->len;), its log follows" -- \
	block -c "$CG" --object build/test/bad_prog.bpf.o 192.0.2.1
check "teach: the verifier log shows the source line too" \
	grep -q "^; return (int)skb->len;" "$TMP/cli.err"

# ---- without BTF, and with BTF that is broken ---------------------------------------------
llvm-objcopy -R .BTF -R .BTF.ext -R .rel.BTF -R .rel.BTF.ext build/prog.bpf.o "$TMP/nobtf.o"
expect_exit "teach: an object without BTF loads as before" 0 "attached program id" -- \
	block -v -c "$CG" --object "$TMP/nobtf.o" 192.0.2.1
check "teach: ... says so in the trace, and warns of nothing" \
	eval 'grep -q "^step 6: no .BTF section" "$TMP/cli.err" && ! grep -q warning "$TMP/cli.err"'
"$BIN" detach -c "$CG" >/dev/null 2>&1

# A copy whose .BTF this reader refuses (a bad magic), and one only the kernel
# refuses (a name on a pointer type, the first type clang writes).
section_at() { # SECTION: its offset in build/prog.bpf.o
	echo $((16#$(llvm-readelf -S --wide build/prog.bpf.o | awk -v s="$1" '{ for (i = 1; i < NF; i++) if ($i == s) print $(i + 3) }')))
}
u32_at() { od -An -tu4 -j "$1" -N4 build/prog.bpf.o | tr -d ' '; } # OFFSET, host order
u32_bytes() { # VALUE as printf escapes, host order
	local b="\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 24 & 255)))"
	if [ "$host_order" = bpfel ]; then echo "$b"; else echo "$b" | sed 's/\(\\x..\)\(\\x..\)\(\\x..\)\(\\x..\)/\4\3\2\1/'; fi
}
patch_object() { # OUT OFFSET BYTES (printf escapes)
	cp build/prog.bpf.o "$1"
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
btf_at=$(section_at .BTF)
patch_object "$TMP/badmagic.o" "$btf_at" '\0\0'
expect_exit "teach: a .BTF this reader refuses: one warning, then a load without it" 0 \
	"warning: $TMP/badmagic.o: .BTF: no BTF header of this byte order and version 1; loading without BTF" -- \
	block -c "$CG" --object "$TMP/badmagic.o" 192.0.2.1
check "teach: ... and it blocks" test "$(prog_count "$CG")" = 1
"$BIN" detach -c "$CG" >/dev/null 2>&1
# The first type: after the header (hdr_len) at type_off; its info's kind in bits 24-28.
first_type=$((btf_at + $(u32_at $((btf_at + 4))) + $(u32_at $((btf_at + 8)))))
first_kind=$(($(u32_at $((first_type + 4))) >> 24 & 31))
if [ "$first_kind" = 2 ]; then # BTF_KIND_PTR
	patch_object "$TMP/kernelbad.o" "$first_type" "$(u32_bytes 1)"
	expect_exit "teach: BTF the kernel refuses: one warning naming its reason, then a load without it" 0 \
		"warning: the kernel refused the BTF of $TMP/kernelbad.o (BPF_BTF_LOAD: Invalid argument: .*); loading without it" -- \
		block -v -c "$CG" --object "$TMP/kernelbad.o" 192.0.2.1
	check "teach: ... and it blocks, its maps and program without BTF" \
		eval 'test "$(prog_count "$CG")" = 1 && grep -q "BPF_MAP_CREATE BLOCKLIST_A: .*btf_key_type_id 0," "$TMP/cli.err" &&
			grep -q "prog_btf_fd 0, func_info_cnt 0" "$TMP/cli.err"'
	"$BIN" detach -c "$CG" >/dev/null 2>&1
else
	bad "teach: the first BTF type of prog.bpf.o is a pointer" "kind byte $first_kind: adapt the test"
fi

# The kernel refuses the program's line_info (a line offset outside the
# strings) but not the BTF itself: the program loads again without it.
ext_at=$(section_at .BTF.ext)
line_off_at=$((ext_at + $(u32_at $((ext_at + 4))) + $(u32_at $((ext_at + 16))) + 4 + 8 + 8))
patch_object "$TMP/badline.o" "$line_off_at" "$(u32_bytes 16777215)"
expect_exit "teach: line_info the kernel refuses: one warning, the program loaded without BTF" 0 \
	"warning: the kernel refused the BTF of program 'block_skb.p' for egress (Invalid argument: .*line_info.*); loaded without it" -- \
	block -c "$CG" --object "$TMP/badline.o" 192.0.2.1
check "teach: ... and it blocks" test "$(prog_count "$CG")" = 1
"$BIN" detach -c "$CG" >/dev/null 2>&1

# Key and value types the kernel refuses (a u32 named for a 24-byte key): a
# warning, and the map made without them.
expect_exit "teach: map types the kernel refuses: one warning, the map made untyped" 0 \
	"warning: map BLOCKLIST_A: the kernel refused its BTF key and value types (.*); created without them" -- \
	block -v -c "$CG" --object build/test/wrong_types.bpf.o 192.0.2.1
check "teach: ... and it is attached, BLOCKLIST_A without types, the program with its BTF" \
	eval 'test "$(prog_count "$CG")" = 1 &&
		grep -q "BPF_MAP_CREATE BLOCKLIST_A: .*btf_key_type_id 0, btf_value_type_id 0 -> fd" "$TMP/cli.err" &&
		grep -Eq "prog_btf_fd [1-9][0-9]*, func_info_cnt 1" "$TMP/cli.err"'
"$BIN" detach -c "$CG" --object build/test/wrong_types.bpf.o >/dev/null 2>&1
check "teach: ... and detached" test "$(prog_count "$CG")" = 0
