# tests/guest/guest.mk - the freestanding test kernels booted by
# tests/guest/run-tests.sh (included from the top-level Makefile).
#
#   make guest            build/guest/<name>.elf for every test kernel
#   make guest CC=clang   the same with clang
#
# Each kernel is one tests/guest/<name>.c linked with the runtime in
# tests/guest/lib.  Variables are prefixed GUEST_ so they cannot collide
# with the VMM's.

GUEST_BUILD	:= build/guest
GUEST_SRC	:= tests/guest
GUEST_OBJ	:= $(GUEST_BUILD)/obj

GUEST_TESTS	:= hello exceptions timer smp spin triplefault badinsn panic \
		   serial_input pci virtio_blk mxcsr xsave virtio_net \
		   hostile_net crash_blk \
		   hostile_ring hostile_desc hostile_race hostile_blk hostile_reset \
		   hostile_transport
GUEST_ELFS	:= $(GUEST_TESTS:%=$(GUEST_BUILD)/%.elf)
GUEST_TEST_OBJS	:= $(GUEST_TESTS:%=$(GUEST_OBJ)/%.o)

GUEST_LIB_SRCS	:= $(sort $(wildcard $(GUEST_SRC)/lib/*.c $(GUEST_SRC)/lib/*.S))
GUEST_LIB_OBJS	:= $(patsubst $(GUEST_SRC)/%,$(GUEST_OBJ)/%.o,\
		     $(basename $(GUEST_LIB_SRCS)))

# No libc, no red zone (interrupts arrive on the current stack), no SSE
# (nothing saves vector registers), absolute addresses (linked at 1 MiB).
GUEST_CFLAGS	:= -m64 -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie \
		   -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
		   -fno-asynchronous-unwind-tables -fcf-protection=none \
		   -fno-delete-null-pointer-checks \
		   -Wall -Wextra -Werror -MMD -MP -I$(GUEST_SRC)/lib
GUEST_LDFLAGS	:= -m64 -nostdlib -static \
		   -Wl,-T,$(GUEST_SRC)/guest.ld -Wl,--build-id=none \
		   -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack

.PHONY: guest
guest: $(GUEST_ELFS)

$(GUEST_ELFS): $(GUEST_BUILD)/%.elf: $(GUEST_OBJ)/%.o $(GUEST_LIB_OBJS) \
		$(GUEST_SRC)/guest.ld
	$(CC) $(GUEST_LDFLAGS) -o $@ $(filter %.o,$^)

# Flags live in this file: rebuild when it changes.
$(GUEST_OBJ)/%.o: $(GUEST_SRC)/%.c $(GUEST_SRC)/guest.mk
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_OBJ)/%.o: $(GUEST_SRC)/%.S $(GUEST_SRC)/guest.mk
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

# Keep the per-test objects: make would delete them as intermediates.
.SECONDARY: $(GUEST_TEST_OBJS)

-include $(GUEST_TEST_OBJS:.o=.d) $(GUEST_LIB_OBJS:.o=.d)

# hostile_transport: hostile_transport.c plus one file per group of
# cases in tests/guest/hostile_transport/.
GUEST_HT_OBJS	:= $(patsubst $(GUEST_SRC)/%.c,$(GUEST_OBJ)/%.o,\
		     $(sort $(wildcard $(GUEST_SRC)/hostile_transport/*.c)))
$(GUEST_BUILD)/hostile_transport.elf: $(GUEST_HT_OBJS)
.SECONDARY: $(GUEST_HT_OBJS)
-include $(GUEST_HT_OBJS:.o=.d)

# The Multiboot test kernel, twice (tests/guest/multiboot.c): as an ELF32
# (linked 64-bit with the plain header and the Multiboot entry, then
# rewrapped by objcopy, as QEMU wants a 32-bit ELF) and as a flat binary
# whose header carries the a.out kludge addresses.  Both run unchanged
# under qemu-system-x86_64 -kernel.
GUEST_MB	:= $(GUEST_BUILD)/multiboot.elf $(GUEST_BUILD)/multiboot-aout.bin

guest: $(GUEST_MB)

$(GUEST_OBJ)/multiboot_header.o: $(GUEST_SRC)/multiboot_header.S $(GUEST_SRC)/guest.mk
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_OBJ)/multiboot_header_aout.o: $(GUEST_SRC)/multiboot_header.S $(GUEST_SRC)/guest.mk
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -DAOUT_KLUDGE -c -o $@ $<

$(GUEST_OBJ)/multiboot-elf64.elf: $(GUEST_OBJ)/multiboot_header.o \
		$(GUEST_OBJ)/multiboot.o $(GUEST_LIB_OBJS) $(GUEST_SRC)/guest.ld
	$(CC) $(GUEST_LDFLAGS) -Wl,-e,multiboot_entry -o $@ $(filter %.o,$^)

$(GUEST_BUILD)/multiboot.elf: $(GUEST_OBJ)/multiboot-elf64.elf
	objcopy -O elf32-i386 $< $@

$(GUEST_OBJ)/multiboot-aout.elf: $(GUEST_OBJ)/multiboot_header_aout.o \
		$(GUEST_OBJ)/multiboot.o $(GUEST_LIB_OBJS) $(GUEST_SRC)/guest.ld
	$(CC) $(GUEST_LDFLAGS) -Wl,-e,multiboot_entry -o $@ $(filter %.o,$^)

$(GUEST_BUILD)/multiboot-aout.bin: $(GUEST_OBJ)/multiboot-aout.elf
	objcopy -O binary $< $@

.SECONDARY: $(GUEST_OBJ)/multiboot.o $(GUEST_OBJ)/multiboot-elf64.elf \
	$(GUEST_OBJ)/multiboot-aout.elf
