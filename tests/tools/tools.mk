# tests/tools/tools.mk - host-side helpers of the tier 2 tests (included
# from the top-level Makefile), built with the VMM's flags:
#
#   net-flood     floods a tap for hostile_net's case=flood
#   crash-check   checks a disk image after crash_blk was SIGKILLed
#                 (tests/crash/run.sh)
#   kvm-probe     is /dev/kvm usable here, and VMX/SVM or PVM?
#                 (tests/kvmhost/with-kvm.sh)

TOOLS_BUILD	:= $(BUILD)/tools
TEST_TOOLS	:= $(TOOLS_BUILD)/net-flood $(TOOLS_BUILD)/crash-check \
		   $(TOOLS_BUILD)/kvm-probe

.PHONY: tools
tools: $(TEST_TOOLS)

$(TEST_TOOLS): $(TOOLS_BUILD)/%: $(BUILD)/obj/tests/tools/%.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^

-include $(TEST_TOOLS:$(TOOLS_BUILD)/%=$(BUILD)/obj/tests/tools/%.d)
