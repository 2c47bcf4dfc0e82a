# firmware/part.mk — the card firmware: host build (linked into the simulated
# card and the firmware unit tests) and the freestanding rv32 image.
#
# Variables for other fragments:
#   FW_INC      include flags for the ABI header and the firmware API
#   FW_LIB      host build of the firmware as a static library

FW_SRCS := firmware/fw_engine.c firmware/fw_cmd.c firmware/fw_ring.c
FW_INC  := -I$(TOP)/firmware/include -I$(TOP)/firmware
FW_OBJS := $(FW_SRCS:%.c=$(O)/obj/%.o)
FW_LIB  := $(O)/lib/libipsecha_fw.a

$(FW_OBJS): CPPFLAGS += $(FW_INC)
$(FW_LIB): $(FW_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

ALL_TARGETS += $(FW_LIB)

# ---- rv32: riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32, no libc.
RV32_CC     := riscv64-unknown-elf-gcc
RV32_SIZE   := riscv64-unknown-elf-size
RV32_DIR    := $(O)/fw-rv32
RV32_FLAGS  := -march=rv32imc -mabi=ilp32 -ffreestanding -nostdlib -nostartfiles \
               -std=c11 -Os -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
               -Wmissing-prototypes -ffunction-sections -fdata-sections \
               -DFW_BUILD_ID=0x$(shell git -C $(TOP) rev-parse --short=8 HEAD 2>/dev/null || echo 0)u
RV32_SRCS   := $(FW_SRCS) firmware/rv32/fw_rv32.c firmware/rv32/libc_min.c firmware/rv32/crt0.S
RV32_ELF    := $(RV32_DIR)/ipsecha-fw.elf

$(RV32_ELF): $(RV32_SRCS) firmware/rv32/fw.ld $(wildcard firmware/*.h firmware/include/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(RV32_CC) $(RV32_FLAGS) $(FW_INC) -T firmware/rv32/fw.ld -Wl,--gc-sections \
		-o $@ $(RV32_SRCS) -lgcc

.PHONY: firmware-rv32
firmware-rv32: $(RV32_ELF)
	$(Q)$(RV32_SIZE) $(RV32_ELF) | awk 'NR==1 { print "firmware-rv32: " $$0 } NR==2 { print "firmware-rv32: " $$0; \
		printf "firmware-rv32: text=%d data=%d bss=%d bytes\n", $$1, $$2, $$3 }'

# CI builds it as part of `make check`.
CHECK_SUITES += firmware-rv32-suite
.PHONY: firmware-rv32-suite
firmware-rv32-suite:
	$(Q)$(RUN_SUITE) firmware-rv32 $(MAKE) --no-print-directory firmware-rv32
