# cgroup-skb-egress: one static binary with its BPF object embedded.
#
#   make          build/cgroup-skb-egress (static; musl-gcc when installed)
#   make test     lint, unit tests (no root), end-to-end and fault tests (root)
#   make demo     block 127.0.0.2 for a throwaway cgroup and show it working
#   make explain  the BPF object from the outside, then from the loader's side (-vv)
#   make bench    benchmarks against the floor and the peers (root; docs/performance.md)
#   make install  PREFIX=/usr/local DESTDIR= : binary and man page
#   make clean
#
# CC picks the C compiler for the binary. With musl-gcc the kernel's uapi
# headers (linux/bpf.h, ...) are not on musl's include path, so build/uapi
# gets links to just those three directories of the host's headers.

CLANG ?= clang
HOST_CC ?= cc
MUSL_GCC := $(shell command -v musl-gcc 2>/dev/null)
# Cross builds: make CROSS_COMPILE=aarch64-linux-gnu- (or arm-linux-gnueabihf-,
# s390x-linux-gnu-, mipsel-linux-gnu-, ...) uses Debian's cross gcc, and
# builds into build/<triplet>/ so that targets never overwrite each other.
# Where Debian ships musl for the target (musl-dev:<arch>, Multi-Arch), its
# specs file turns the cross gcc into that target's musl-gcc; elsewhere
# (riscv64 in bookworm) the binary links glibc statically.
CROSS_COMPILE ?=
ifneq ($(CROSS_COMPILE),)
  CROSS_TRIPLET := $(CROSS_COMPILE:%-=%)
  MUSL_TRIPLET := $(patsubst %abi64,%,$(subst -linux-gnu,-linux-musl,$(CROSS_TRIPLET)))
  MUSL_SPECS := $(wildcard /usr/lib/$(MUSL_TRIPLET)/musl-gcc.specs)
  # A CC from the command line or the environment (make CC=gcc test, whose
  # cross builds run as sub-makes) is the host's: it must not build a target.
  ifeq ($(filter $(CROSS_COMPILE)%,$(firstword $(CC))),)
    override CC := $(CROSS_COMPILE)gcc$(if $(MUSL_SPECS), -specs=$(MUSL_SPECS))
  endif
  BUILD := build/$(CROSS_TRIPLET)
  # The kernel's uapi headers for the target, from linux-libc-dev-<arch>-cross.
  UAPI_DIR := /usr/$(CROSS_TRIPLET)/include
  UAPI_ASM := $(UAPI_DIR)/asm
else
  ifeq ($(origin CC),default)
    CC := $(if $(MUSL_GCC),musl-gcc,gcc)
  endif
  BUILD := build
  UAPI_DIR := /usr/include
  UAPI_ASM := /usr/include/$(shell gcc -print-multiarch 2>/dev/null)/asm
endif
# musl-gcc, or a cross gcc with musl's specs.
LIBC := $(if $(filter %musl-gcc %musl-gcc.specs,$(CC)),musl,glibc)

BIN := $(BUILD)/cgroup-skb-egress
BPF_OBJ := $(BUILD)/prog.bpf.o

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
# -Oz: nothing in user space is CPU-bound (the kernel runs the program),
# and the static binary has a 128 KiB budget (docs/size.md). -flto lets the
# compiler see all files at once: 450 bytes fewer, and -Oz 800 fewer than
# -Os, with `block` of a million addresses as fast (docs/size.md).
CFLAGS ?= -Oz -flto=auto
# What a cross build starts from: the user's CFLAGS, before ours are added
# (-isystem build/uapi holds x86_64's headers, for musl-gcc only).
CROSS_CFLAGS := $(CFLAGS)
override CFLAGS += -std=gnu11 $(WARN) -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64 -fno-strict-aliasing
LDFLAGS ?=
override LDFLAGS += -static -s
# What else keeps the binary small, none of it costing safety: one section
# per function so the linker drops unused ones, no unwind tables (C without
# exceptions never unwinds), non-PIE code (a static binary is not PIE
# anyway), and no page padding between segments.
override CFLAGS += -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -fno-pie -fno-ident -fno-inline-functions-called-once
override LDFLAGS += -no-pie -Wl,--gc-sections -Wl,-z,noseparate-code

# The BPF object's byte order must be the target's.
BPF_TARGET := $(shell $(CC) -dM -E - </dev/null 2>/dev/null | grep -q '__BYTE_ORDER__ __ORDER_BIG_ENDIAN__' && echo bpfeb || echo bpfel)
BPF_CFLAGS := -O2 -g -target $(BPF_TARGET) -ffreestanding -Wall -Wextra -Werror

ifeq ($(LIBC),musl)
  UAPI := $(BUILD)/uapi/.stamp
  override CFLAGS += -isystem $(BUILD)/uapi
  # musl never write-protects PT_GNU_RELRO in a static binary (its pages
  # stay rw in /proc/PID/maps), so the page of padding that RELRO costs
  # in the file buys nothing here.
  # And a page size of 64 for laying out the file lets the data segment
  # follow the code directly instead of at the next 4 KiB boundary (the
  # kernel still maps whole pages; only the padding in the file goes).
  override LDFLAGS += -Wl,-z,norelro -Wl,-z,common-page-size=64
  # No floating point in the tool (the test helpers have some): variadic
  # functions then stop saving the eight vector registers on entry (x86_64
  # and arm64 know the flag).
  TOOL_CFLAGS := $(shell $(CC) -mgeneral-regs-only -E -x c /dev/null >/dev/null 2>&1 && \
	echo -mgeneral-regs-only)
  # The kernel loads a program by its program headers alone; the section
  # header table (1 KiB) only serves tools like readelf -S.
  STRIP_SECTIONS = $(LLVM_STRIP) --strip-sections
endif

# The binary embeds the object with its BTF (for -v, typed maps and source
# lines in verifier logs), but without DWARF and without local symbols
# (clang's branch labels, which no loader reads: 2.7 KB of 21 before packing).
EMBED_STRIP := --strip-debug --discard-all -R .llvm_addrsig -R .rel.BTF -R .rel.BTF.ext

# What the unit tests (no root, no kernel) build against, and the tests
# themselves (test/unit.c runs those of each test/unit_*.c).
UNIT_SRCS := elf_min.c perf_ring.c ringbuf.c addr.c text.c mem.c disasm.c btf.c lz.c
UNIT_TESTS := $(wildcard test/unit*.c)
UNIT_TEST_HDRS := $(wildcard test/unit*.h) test/check.h
SRCS := loader.c cli.c signals.c object.c cgroup.c reuse.c maps.c program.c events.c transport.c \
	commands.c messages.c blocklist.c instance.c target.c preflight.c $(UNIT_SRCS)
OBJS := $(SRCS:%.c=$(BUILD)/%.o) $(BUILD)/embed.o
HDRS := $(wildcard *.h)

.PHONY: all test check demo clean format lint fuzz install bench bench-smoke cross cross-unit vm explain
all: $(BIN)

$(BUILD)/uapi/.stamp:
	@mkdir -p $(BUILD)/uapi
	ln -sfn $(UAPI_DIR)/linux $(BUILD)/uapi/linux
	ln -sfn $(UAPI_DIR)/asm-generic $(BUILD)/uapi/asm-generic
	ln -sfn $(UAPI_ASM) $(BUILD)/uapi/asm
	@touch $@

$(BPF_OBJ): prog.bpf.c common.h
	@mkdir -p $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c $(HDRS) $(UAPI)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(TOOL_CFLAGS) -c $< -o $@

# DWARF and the relocations of BTF stay in build/prog.bpf.o, which
# --object loads just the same.
LLVM_STRIP ?= llvm-strip
$(BUILD)/prog.embed.o: $(BPF_OBJ)
	$(LLVM_STRIP) $(EMBED_STRIP) $< -o $@
# Packed (lz.h): 19 KB of object become 8. The packer runs on the build
# machine, whatever the target, and checks its output by unpacking it.
LZ_PACK := build/host/lz_pack
$(LZ_PACK): tools/lz_pack.c lz.c lz.h
	@mkdir -p build/host
	$(HOST_CC) -std=gnu11 -O2 $(WARN) tools/lz_pack.c lz.c -o $@
$(BUILD)/prog.embed.lz: $(BUILD)/prog.embed.o $(LZ_PACK)
	$(LZ_PACK) $< $@
$(BUILD)/embed.o: embed.S $(BUILD)/prog.embed.lz
	$(CC) -c -DBPF_OBJECT='"$(BUILD)/prog.embed.lz"' $< -o $@

$(BIN): $(OBJS)
	$(CC) $(CFLAGS) $(OBJS) $(LDFLAGS) -o $@
	$(if $(STRIP_SECTIONS),$(STRIP_SECTIONS) $@)

# ---- tests: host compiler, sanitizers on, no static linking -------------------

# Fuzzing seeds (see the fuzzing section): make test replays them too.
FUZZ := $(BUILD)/fuzz
SEEDS := $(FUZZ)/seeds/prog-g.o $(FUZZ)/seeds/prog-nodebug.o $(FUZZ)/seeds/prog-bpfeb-g.o \
	$(FUZZ)/seeds/prog-bpfel-nodebug.o $(FUZZ)/seeds/bad_prog.o $(FUZZ)/seeds/globals.o \
	$(FUZZ)/seeds/prog-packed.lz


# MEM_LIBC: buffers come from malloc(), so that ASan and valgrind watch them (mem.h).
TEST_CFLAGS := -std=gnu11 -O1 -g $(WARN) -DMEM_LIBC -fsanitize=address,undefined -fno-sanitize-recover=all
$(BUILD)/test/unit: $(UNIT_TESTS) $(UNIT_SRCS) $(HDRS) $(UNIT_TEST_HDRS)
	@mkdir -p $(BUILD)/test
	$(HOST_CC) $(TEST_CFLAGS) -I. $(UNIT_TESTS) $(UNIT_SRCS) -o $@

# The loader again, dynamic, with ASan and UBSan: the end-to-end tests run it.
$(BUILD)/asan/cgroup-skb-egress: $(SRCS) embed.S $(HDRS) $(BPF_OBJ)
	@mkdir -p $(BUILD)/asan
	$(HOST_CC) $(TEST_CFLAGS) -DBPF_OBJECT='"$(BPF_OBJ)"' $(SRCS) embed.S -o $@

# And plain builds of both for valgrind, which cannot run ASan binaries.
$(BUILD)/vg/cgroup-skb-egress: $(SRCS) embed.S $(HDRS) $(BPF_OBJ)
	@mkdir -p $(BUILD)/vg
	$(HOST_CC) -std=gnu11 -O1 -g $(WARN) -DMEM_LIBC -DBPF_OBJECT='"$(BPF_OBJ)"' $(SRCS) embed.S -o $@

$(BUILD)/vg/unit: $(UNIT_TESTS) $(UNIT_SRCS) $(HDRS) $(UNIT_TEST_HDRS)
	@mkdir -p $(BUILD)/vg
	$(HOST_CC) -std=gnu11 -O1 -g $(WARN) -DMEM_LIBC -I. $(UNIT_TESTS) $(UNIT_SRCS) -o $@

$(BUILD)/test/nethelper: test/nethelper.c bench/packet.h
	@mkdir -p $(BUILD)/test
	$(HOST_CC) -std=gnu11 -O2 $(WARN) $< -o $@

# What the first map layout's `block` left on a hook (test/upgrade.sh).
$(BUILD)/test/layout1.bpf.o: test/layout1.bpf.c common.h
	@mkdir -p $(BUILD)/test
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
# What issue 16's `block` left on a hook: the second layout, before allow entries.
$(BUILD)/test/layout2.bpf.o: test/layout2.bpf.c common.h
	@mkdir -p $(BUILD)/test
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/test/layout1_load: test/layout1_load.c bench/relocate.h elf_min.c addr.c text.c mem.c $(HDRS)
	@mkdir -p $(BUILD)/test
	$(HOST_CC) -std=gnu11 -O2 $(WARN) -I. test/layout1_load.c elf_min.c addr.c text.c mem.c -o $@
# The program before verifiers this machine lacks (pre-5.2, strict alignment).
$(BUILD)/test/verifier_ways: test/verifier_ways.c bench/relocate.h elf_min.c text.c mem.c $(HDRS)
	@mkdir -p $(BUILD)/test
	$(HOST_CC) -std=gnu11 -O2 $(WARN) -I. test/verifier_ways.c elf_min.c text.c mem.c -o $@

$(BUILD)/test/direct_only.bpf.o: test/direct_only.bpf.c prog.bpf.c common.h
	@mkdir -p $(BUILD)/test
	$(CLANG) $(BPF_CFLAGS) -Wno-unused-variable -c $< -o $@
$(BUILD)/test/bad_prog.bpf.o: test/bad_prog.bpf.c test/fixture.bpf.h common.h
	@mkdir -p $(BUILD)/test
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/test/wrong_types.bpf.o: test/wrong_types.bpf.c test/fixture.bpf.h common.h
	@mkdir -p $(BUILD)/test
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# The program for the other byte order: the loader must refuse it by name.
$(BUILD)/test/prog.other-endian.o: prog.bpf.c common.h
	@mkdir -p $(BUILD)/test
	$(CLANG) $(subst -target $(BPF_TARGET),-target $(if $(filter bpfel,$(BPF_TARGET)),bpfeb,bpfel),$(BPF_CFLAGS)) -c $< -o $@

# The unit tests again with the binary's C library (the rule is cross-unit's,
# below): address parsing relies on its inet_pton, and musl's and glibc's
# differ in corners.
ifeq ($(LIBC),musl)
UNIT_LIBC := $(BUILD)/test/unit-static
endif

TEST_DEPS := $(BIN) $(BPF_OBJ) $(BUILD)/test/unit $(UNIT_LIBC) $(BUILD)/test/nethelper \
	$(BUILD)/test/nethelper-static \
	$(BUILD)/test/prog.other-endian.o $(BUILD)/test/fuzz_replay $(SEEDS) \
	$(BUILD)/test/bad_prog.bpf.o $(BUILD)/test/wrong_types.bpf.o $(BUILD)/bench/prog-notrie.bpf.o \
	$(BUILD)/test/layout1.bpf.o $(BUILD)/test/layout1_load $(BUILD)/test/layout2.bpf.o \
	$(BUILD)/test/verifier_ways $(BUILD)/test/direct_only.bpf.o $(BUILD)/asan/cgroup-skb-egress \
	$(BUILD)/vg/cgroup-skb-egress $(BUILD)/vg/unit
# make test = make check: lint (format, clang-tidy, cppcheck), then every test,
# on the static binary, the ASan/UBSan build and (in parts) under valgrind.
test: check
check: lint $(TEST_DEPS) cross
	bash test/run.sh

# Boot tests alone: the binary in an initramfs on stock Debian kernels under qemu.
vm: $(BIN) $(BUILD)/test/nethelper-static cross
	bash test/vm/boot.sh $(VM_ARCHES)

# ---- cross builds ----------------------------------------------------------------
# make cross: the binary, and the unit tests linked statically, for every target
# in CROSS_TARGETS whose cross gcc is installed (Debian: gcc-<triplet>, its
# libc6-dev-<arch>-cross, and musl-dev:<arch>; test/deps.sh installs them). The
# tests check each binary's ELF header and run the unit tests under qemu-user.
CROSS_TARGETS := aarch64-linux-gnu arm-linux-gnueabihf s390x-linux-gnu mipsel-linux-gnu \
	mips64el-linux-gnuabi64 riscv64-linux-gnu
cross:
	@for t in $(CROSS_TARGETS); do \
		if command -v $$t-gcc >/dev/null; then \
			$(MAKE) --no-print-directory CROSS_COMPILE=$$t- \
				CFLAGS="$(CROSS_CFLAGS)" all cross-unit || exit 1; \
		else echo "cross: $$t-gcc is not installed; skipping $$t"; fi; \
	done
cross-unit: $(BUILD)/test/unit-static $(BUILD)/test/nethelper-static
# The test helper, static, for the boot tests' guests (test/vm/).
$(BUILD)/test/nethelper-static: test/nethelper.c bench/packet.h $(UAPI)
	@mkdir -p $(BUILD)/test
	$(CC) $(CFLAGS) -static $< -o $@

$(BUILD)/test/unit-static: $(UNIT_TESTS) $(UNIT_SRCS) $(HDRS) $(UNIT_TEST_HDRS) $(UAPI)
	@mkdir -p $(BUILD)/test
	$(CC) $(CFLAGS) -static -I. $(UNIT_TESTS) $(UNIT_SRCS) -o $@

demo: $(BIN) $(BUILD)/test/nethelper
	bash test/demo.sh

# Benchmarks (root): medians of interleaved repeats, as ratios to a floor.
# bench-smoke runs them briefly, to prove they work; it never judges a number.
BENCH_REPEATS ?= 11
# An earlier build to time list, unblock and replace against (bench/batches.sh),
# e.g. make bench BENCH_BASELINE=/tmp/old/build/cgroup-skb-egress; none by default.
BENCH_BASELINE ?=
BENCH_DEPS := $(BIN) $(BPF_OBJ) $(BUILD)/bench/prog_cost $(BUILD)/bench/prog-notrie.bpf.o \
	$(BUILD)/bench/prog_btf.o $(BUILD)/bench/prog_btf_100k.o $(BUILD)/bench/libbpf_block \
	$(BUILD)/bench/libbpf_log $(BUILD)/bench/events $(BUILD)/bench/timeit $(BUILD)/test/nethelper
bench: $(BENCH_DEPS)
	@mkdir -p bench/results
	$(BUILD)/bench/prog_cost $(BPF_OBJ) $(BENCH_REPEATS) 1000000 \
		$(BUILD)/bench/prog-notrie.bpf.o
	bash bench/oneshot.sh $(BENCH_REPEATS)
	bash bench/batches.sh 7 $(BENCH_BASELINE)
	bash bench/peers.sh 7
	bash bench/traffic.sh 7 1000
	bash bench/events.sh 3 200000 200
bench-smoke: $(BENCH_DEPS)
	@mkdir -p bench/results
	$(BUILD)/bench/prog_cost $(BPF_OBJ) 3 10000 \
		$(BUILD)/bench/prog-notrie.bpf.o
	bash bench/oneshot.sh 3
	bash bench/batches.sh 1
	bash bench/peers.sh 1
	bash bench/traffic.sh 1 200
	bash bench/events.sh 1 20000 10

# The peers (bench/peers.sh): the program with BTF-defined maps, which is
# all libbpf 1.x loads, and a static libbpf loader doing what `block` does.
# Debian's libbpf-dev, libelf-dev, zlib1g-dev and libzstd-dev; benchmark only.
# bench/prog/: the variants of prog.bpf.c that only the benchmarks load.
BENCH_PROG_CFLAGS := $(BPF_CFLAGS) -I. -Ibench/prog
$(BUILD)/bench/prog_btf.bpf.c: prog.bpf.c bench/prog/drop_maps.awk
	@mkdir -p $(BUILD)/bench
	awk -f bench/prog/drop_maps.awk prog.bpf.c >$@.tmp && mv $@.tmp $@
$(BUILD)/bench/prog_btf.o: $(BUILD)/bench/prog_btf.bpf.c bench/prog/btf_maps.bpf.h common.h
	$(CLANG) $(BENCH_PROG_CFLAGS) -c $< -o $@
$(BUILD)/bench/prog_btf_100k.o: $(BUILD)/bench/prog_btf.bpf.c bench/prog/btf_maps.bpf.h common.h
	$(CLANG) $(BENCH_PROG_CFLAGS) -DPROG_BTF_ENTRIES=100000 -c $< -o $@
$(BUILD)/bench/libbpf_block: bench/peer/libbpf_block.c common.h
	@mkdir -p $(BUILD)/bench
	$(HOST_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -I. $< -static -lbpf -lelf -lz -lzstd -o $@
$(BUILD)/bench/libbpf_log: bench/peer/libbpf_log.c common.h
	@mkdir -p $(BUILD)/bench
	$(HOST_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -I. $< -static -lbpf -lelf -lz -lzstd -o $@
# One-shot timings from exec to exit, without bash's fork (bench/oneshot.sh, peers.sh).
$(BUILD)/bench/timeit: bench/timeit.c
	@mkdir -p $(BUILD)/bench
	$(HOST_CC) -std=gnu11 -O2 $(WARN) $< -o $@
# The feeder of bench/events.sh: BPF_PROG_TEST_RUN on the instance's program.
$(BUILD)/bench/events: bench/events.c bench/packet.h bpf_sys.h
	@mkdir -p $(BUILD)/bench
	$(HOST_CC) -std=gnu11 -O2 $(WARN) -I. $< -o $@

$(BUILD)/bench/prog_cost: bench/prog_cost.c bench/packet.h bench/relocate.h elf_min.c addr.c text.c mem.c perf_ring.c ringbuf.c $(HDRS)
	@mkdir -p $(BUILD)/bench
	$(HOST_CC) -std=gnu11 -O2 $(WARN) -I. bench/prog_cost.c elf_min.c addr.c text.c mem.c perf_ring.c ringbuf.c -pthread -o $@

$(BUILD)/bench/prog-notrie.bpf.o: bench/prog/notrie.bpf.c prog.bpf.c common.h
	@mkdir -p $(BUILD)/bench
	$(CLANG) $(BENCH_PROG_CFLAGS) -c $< -o $@

# ---- fuzzing the ELF reader (clang's libFuzzer) -----------------------------------

FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -O1 -g -DMEM_LIBC -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(FUZZ)/fuzz_elf: test/fuzz_elf.c elf_min.c btf.c text.c mem.c lz.c $(HDRS)
	@mkdir -p $(FUZZ)
	$(CLANG) $(FUZZ_FLAGS) -I. test/fuzz_elf.c elf_min.c btf.c text.c mem.c lz.c -o $@

$(FUZZ)/seeds/prog-g.o: prog.bpf.c common.h
	@mkdir -p $(FUZZ)/seeds
	$(CLANG) -O2 -g -target bpfel -ffreestanding -c $< -o $@
$(FUZZ)/seeds/prog-nodebug.o: prog.bpf.c common.h
	@mkdir -p $(FUZZ)/seeds
	$(CLANG) -O2 -target bpfel -ffreestanding -c $< -o $@
$(FUZZ)/seeds/prog-bpfeb-g.o: prog.bpf.c common.h
	@mkdir -p $(FUZZ)/seeds
	$(CLANG) -O2 -g -target bpfeb -ffreestanding -c $< -o $@
$(FUZZ)/seeds/prog-bpfel-nodebug.o: prog.bpf.c common.h
	@mkdir -p $(FUZZ)/seeds
	$(CLANG) -O1 -target bpfel -ffreestanding -c $< -o $@
$(FUZZ)/seeds/bad_prog.o: test/bad_prog.bpf.c test/fixture.bpf.h common.h
	@mkdir -p $(FUZZ)/seeds
	$(CLANG) -O2 -g -target bpfel -ffreestanding -c $< -o $@
$(FUZZ)/seeds/globals.o: test/globals.bpf.c common.h
	@mkdir -p $(FUZZ)/seeds
	$(CLANG) -O2 -g -target bpfel -ffreestanding -c $< -o $@
# The object as the binary embeds it, packed: the unpacker's path in.
$(FUZZ)/seeds/prog-packed.lz: $(BUILD)/prog.embed.lz
	@mkdir -p $(FUZZ)/seeds
	cp $< $@

# make fuzz [FUZZ_SECONDS=N]: new crashes and hangs land in test/fuzz-regressions/,
# which make test replays; commit them with the fix.
fuzz: $(FUZZ)/fuzz_elf $(SEEDS)
	@mkdir -p $(FUZZ)/corpus test/fuzz-regressions
	$(FUZZ)/fuzz_elf -max_total_time=$(FUZZ_SECONDS) -timeout=5 -max_len=16384 \
		-dict=test/fuzz_elf.dict -print_final_stats=1 \
		-artifact_prefix=test/fuzz-regressions/ $(FUZZ)/corpus $(FUZZ)/seeds

$(BUILD)/test/fuzz_replay: test/fuzz_replay.c test/fuzz_elf.c elf_min.c btf.c text.c mem.c lz.c $(HDRS)
	@mkdir -p $(BUILD)/test
	$(HOST_CC) $(TEST_CFLAGS) -I. test/fuzz_replay.c test/fuzz_elf.c elf_min.c btf.c text.c mem.c lz.c -o $@

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary and the man page.
PREFIX ?= /usr/local
install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/cgroup-skb-egress
	install -D -m 0644 cgroup-skb-egress.8 $(DESTDIR)$(PREFIX)/share/man/man8/cgroup-skb-egress.8

format:
	clang-format -i *.c *.h test/*.c test/*.h bench/*.c bench/peer/*.c bench/*.h bench/prog/*.c bench/prog/*.h

# make explain: the object from the outside, as a reader of the loader's
# steps 3 and 8 would want to see it (no root needed), then from the
# loader's side: the -vv trace of a block on a throwaway cgroup (root).
LLVM_READELF ?= llvm-readelf
LLVM_OBJDUMP ?= llvm-objdump
explain: $(BPF_OBJ) $(BUILD)/prog.embed.o $(BIN)
	@printf '\n== 1. the sections of %s (the loader reads: the program section, maps, license, .rel*, .symtab, .strtab)\n' $(BPF_OBJ)
	@$(LLVM_READELF) -S $(BPF_OBJ)
	@printf '\n== 2. the symbols that matter: the program (FUNC) and the map definitions (OBJECT in maps)\n'
	@$(LLVM_READELF) -s $(BPF_OBJ) | grep -E 'FUNC|OBJECT'
	@printf '\n== 3. the relocations of the program: each offset / 8 is the instruction of an ld_imm64 naming a map\n'
	@$(LLVM_READELF) -r $(BPF_OBJ) | sed -n '/relcgroup/,/^$$/p'
	@printf '\n== 4. the program before relocation: each "r1 = 0 ll" is an ld_imm64 whose 0 becomes a map fd\n'
	@$(LLVM_OBJDUMP) -d --no-show-raw-insn $(BPF_OBJ) | sed -n '/<block_skb>/,$$p'
	@printf '\n== 5. what the binary embeds of it (%s)\n' $(BUILD)/prog.embed.o
	@$(LLVM_READELF) -S $(BUILD)/prog.embed.o | grep -E '^ +\['
	@printf '\n== 6. the same object from the loader'"'"'s side: %s block -vv 192.0.2.1 on a throwaway cgroup\n' \
		$(BIN)
	@cg2=$$(awk '$$9 == "cgroup2" { print $$5; exit }' /proc/self/mountinfo); \
	if [ "$$(id -u)" -ne 0 ] || [ -z "$$cg2" ]; then \
		echo "(skipped: needs root and a cgroup2 mount)"; exit 0; fi; \
	cg="$$cg2/cse-explain-$$$$"; mkdir "$$cg" || exit 1; \
	trap '$(BIN) detach -c "$$cg" >/dev/null 2>&1; rmdir "$$cg"' EXIT; \
	$(BIN) block -vv -c "$$cg" 192.0.2.1 2>&1

BENCH_SRCS := bench/*.c bench/peer/*.c
lint:
	clang-format --dry-run --Werror *.c *.h test/*.c test/*.h tools/*.c $(BENCH_SRCS) bench/*.h bench/prog/*.c bench/prog/*.h
	@# One file per run: clang-tidy 14 carries analyzer state across files.
	for f in $(SRCS) $(UNIT_TESTS) test/nethelper.c test/layout1_load.c test/verifier_ways.c tools/lz_pack.c $(BENCH_SRCS); do \
		clang-tidy --quiet $$f -- -I. -std=gnu11 || exit 1; done
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--inline-suppr --suppress=missingIncludeSystem -I. $(SRCS) test/*.c tools/*.c $(BENCH_SRCS)

clean:
	rm -rf $(BUILD)
