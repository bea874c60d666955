# lightvm - top-level Makefile.
#
#   make            build ./lightvm and the test kernels
#   make check      tier 1 (Check unit tests, plain and ASan/UBSan) + tier 2
#                   (test kernels booted by lightvm)
#   make test       everything `make check` does + a short run of every
#                   fuzzer (fuzz-smoke) + tier 3 (Linux boot tests)
#   make bench      benchmarks (side-by-side ratios)
#
# Tiers 2-3 and the benchmarks need KVM: tests/kvmhost/with-kvm.sh runs
# them here when /dev/kvm works, else in the nested KVM test host (an L1
# Linux under QEMU's TCG, tests/kvmhost), and says which.  LIGHTVM_KVM=
# native|nested forces either way.
#   make fuzz       build the libFuzzer harnesses (tests/fuzz, clang) and
#                   run each for FUZZ_SECONDS (default 60) on a copy of
#                   its seed corpus; fails if any fuzzer finds a crash
#   make fuzz-smoke the same, FUZZ_SMOKE_SECONDS (default 5) each: part
#                   of `make test`
#   make CC=clang   build with clang instead of gcc

CC		?= gcc
BUILD		:= build
WARN		:= -Wall -Wextra -Werror
CFLAGS		?= -O2 -g
ALL_CFLAGS	:= $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -pthread -MMD -MP
LDLIBS		:= -laio -lz -llz4 -lzstd -llzma -pthread

VMM_SRCS	:= $(sort $(wildcard vmm/*.c vmm/*/*.c))
VMM_LIB_SRCS	:= $(filter-out vmm/main.c,$(VMM_SRCS))
# The guest's /init for --rootfs: a static program carried inside lightvm
# (vmm/rootfs/init_blob.S), so every binary that links the VMM links it.
ROOTFS_INIT	:= $(BUILD)/rootfs/lightvm-init
INIT_BLOB	:= $(BUILD)/obj/vmm/rootfs/init_blob.o
VMM_OBJS	:= $(VMM_SRCS:%.c=$(BUILD)/obj/%.o) $(INIT_BLOB)
VMM_LIB_OBJS	:= $(VMM_LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(INIT_BLOB)

UNIT_SRCS	:= $(sort $(wildcard tests/unit/*.c))
UNIT_OBJS	:= $(UNIT_SRCS:%.c=$(BUILD)/obj/%.o)
CHECK_LIBS	:= $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt)

# Sanitizer build of the same sources for the unit tests.
SAN_FLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
SAN_OBJS	:= $(VMM_LIB_SRCS:%.c=$(BUILD)/san/%.o) \
		   $(UNIT_SRCS:%.c=$(BUILD)/san/%.o) $(INIT_BLOB)

# Host-side benchmark helpers (bench/blk.sh, bench/net.sh); blk-service
# links the VMM's objects like the unit tests do.
BENCH_BUILD	:= $(BUILD)/bench
BENCH_BINS	:= $(BENCH_BUILD)/blk-raw $(BENCH_BUILD)/blk-service \
		   $(BENCH_BUILD)/tsc-hz $(BENCH_BUILD)/net-peer \
		   $(BENCH_BUILD)/net-raw
BENCH_OBJS	:= $(BENCH_BINS:$(BENCH_BUILD)/%=$(BUILD)/obj/bench/%.o)

.PHONY: all check test unit unit-san guest-tests boot-tests bench bench-bins \
	fuzz fuzz-bins fuzz-smoke clean
all: lightvm guest tools bench-bins

lightvm: $(VMM_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(ROOTFS_INIT): vmm/rootfs/guest/init.c
	@mkdir -p $(dir $@)
	$(CC) -static -Os $(WARN) -std=gnu11 -D_GNU_SOURCE -s -o $@ $<

$(INIT_BLOB): vmm/rootfs/init_blob.S $(ROOTFS_INIT)
	@mkdir -p $(dir $@)
	$(CC) -c -DINIT_PATH='"$(ROOTFS_INIT)"' -o $@ $<

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(BUILD)/unit-tests: $(VMM_LIB_OBJS) $(UNIT_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

$(BUILD)/unit-tests-san: $(SAN_OBJS)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

bench-bins: $(BENCH_BINS)

$(BENCH_BUILD)/blk-raw: $(BUILD)/obj/bench/blk-raw.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ -laio

$(BENCH_BUILD)/blk-service: $(BUILD)/obj/bench/blk-service.o $(VMM_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_BUILD)/tsc-hz $(BENCH_BUILD)/net-peer $(BENCH_BUILD)/net-raw: \
		$(BENCH_BUILD)/%: $(BUILD)/obj/bench/%.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^

include tests/guest/guest.mk
include tests/tools/tools.mk

# libFuzzer harnesses: clang only, their own objects of the VMM sources
# (coverage-instrumented, ASan + UBSan, every UBSan finding fatal) in an
# archive, so each harness links just the objects it reaches.
FUZZ_CC		:= clang
FUZZ_BUILD	:= $(BUILD)/fuzz
FUZZERS		:= virtq blk net pci modern bzimage elf options vhost multiboot
FUZZ_SECONDS	?= 60
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZ_CFLAGS	:= -O2 -g $(WARN) -std=gnu11 -D_GNU_SOURCE -pthread -MMD -MP \
		   $(FUZZ_SAN)
FUZZ_LIB	:= $(FUZZ_BUILD)/libvmm.a
FUZZ_LIB_OBJS	:= $(VMM_LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_OBJS	:= $(FUZZ_LIB_OBJS) \
		   $(FUZZERS:%=$(FUZZ_BUILD)/obj/tests/fuzz/%.o) \
		   $(FUZZ_BUILD)/obj/tests/fuzz/common.o
FUZZ_BINS	:= $(FUZZERS:%=$(FUZZ_BUILD)/%)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# The harnesses compare a lot while checking; tracing those comparisons
# would only slow them down and feed the fuzzer the harness's own values.
$(FUZZ_BUILD)/obj/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
		-fno-sanitize-coverage=trace-cmp -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/obj/tests/fuzz/%.o \
		$(FUZZ_BUILD)/obj/tests/fuzz/common.o $(FUZZ_LIB) $(INIT_BLOB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-bins: $(FUZZ_BINS)

fuzz: fuzz-bins
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZERS)

fuzz-smoke: fuzz-bins
	tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZERS)

unit: $(BUILD)/unit-tests lightvm guest
	LIGHTVM=$(CURDIR)/lightvm GUEST_DIR=$(CURDIR)/$(GUEST_BUILD) $(BUILD)/unit-tests

unit-san: $(BUILD)/unit-tests-san lightvm guest
	LIGHTVM=$(CURDIR)/lightvm GUEST_DIR=$(CURDIR)/$(GUEST_BUILD) \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		$(BUILD)/unit-tests-san

KVM_RUN		:= tests/kvmhost/with-kvm.sh

guest-tests: lightvm guest tools
	$(KVM_RUN) "tier 2 (test kernels)" tests/guest/run-tests.sh

# The kernel, initramfs images and the Debian kernel are built here, on the
# machine, before the cases run wherever KVM is.
boot-tests: lightvm guest tools
	tests/boot/run-tests.sh --prepare
	$(KVM_RUN) "tier 3 (Linux boot tests)" tests/boot/run-tests.sh

check: unit unit-san guest-tests

test: check fuzz-smoke boot-tests

bench: lightvm guest tools bench-bins
	tests/boot/run-tests.sh --prepare
	$(KVM_RUN) "the benchmarks" bench/run.sh

clean:
	rm -rf $(BUILD) lightvm

-include $(VMM_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(SAN_OBJS:.o=.d) \
	 $(BENCH_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
