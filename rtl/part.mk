# rtl/part.mk — the sequence-counter engine: generated register views, lint,
# synthesis. Tests, benchmark and demo are in rtl/tests.mk (included by
# sim/part.mk). Targets: make lint-rtl (in make lint), make synth, make
# test-rtl, make bench-rtl, make demo-rtl, make fuzz-golden. docs/rtl.md.
#
# Variables for other fragments:
#   ISQ_GEN_H    $(GEN)/isq_regs.h — C view of rtl/isq_regs.tbl (make targets depend on it)
#   ISQ_GEN_VH   $(GEN)/isq_regs.vh — Verilog view
#   ISQ_BUILD_H  $(GEN)/isq_build.h — ISQ_BUILD_ID, the RTL's ID.BUILD_ID
#   ISQ_GEN_INC  -I flag for both headers
#   RTL_SRCS     the RTL sources (top: isq_top)

# The iCE40 HX8K configuration: synthesized by make synth (rtl/synth/) and
# simulated, with the same parameters, by the hx8k suites of make test-rtl.
HX8K_NUM_SA    := 240
HX8K_NUM_GROUP := 16
HX8K_W         := 64
HX8K_EVT_DEPTH := 16
HX8K_INJ_DEPTH := 2
HX8K_PARAMS    := NUM_SA=$(HX8K_NUM_SA) NUM_GROUP=$(HX8K_NUM_GROUP) W=$(HX8K_W) \
                  EVT_DEPTH=$(HX8K_EVT_DEPTH) INJ_DEPTH=$(HX8K_INJ_DEPTH)

RTL_TBL     := rtl/isq_regs.tbl
RTL_SRCS    := $(sort $(wildcard rtl/*.v))
RTL_TOP     := isq_top
ISQ_GEN_H   := $(GEN)/isq_regs.h
ISQ_GEN_VH  := $(GEN)/isq_regs.vh
ISQ_GEN_MD  := $(GEN)/isq_regs.md
ISQ_BUILD_H := $(GEN)/isq_build.h
ISQ_GEN_INC := -I$(GEN)
# 32-bit build identifier: CRC (cksum) of the RTL sources and the table.
ISQ_BUILD_ID := $(shell cat $(RTL_SRCS) $(RTL_TBL) 2>/dev/null | cksum | awk '{ printf "0x%08x", $$1 }')

$(GEN)/isq_regs.h: $(RTL_TBL) tools/gen-regs.awk
	@mkdir -p $(dir $@)
	$(Q)awk -v mode=c -f tools/gen-regs.awk $(RTL_TBL) > $@.tmp && mv $@.tmp $@
$(GEN)/isq_regs.vh: $(RTL_TBL) tools/gen-regs.awk
	@mkdir -p $(dir $@)
	$(Q)awk -v mode=v -f tools/gen-regs.awk $(RTL_TBL) > $@.tmp && mv $@.tmp $@
$(GEN)/isq_regs.md: $(RTL_TBL) tools/gen-regs.awk
	@mkdir -p $(dir $@)
	$(Q)awk -v mode=md -f tools/gen-regs.awk $(RTL_TBL) > $@.tmp && mv $@.tmp $@
$(GEN)/isq_build.h: $(RTL_SRCS) $(RTL_TBL)
	@mkdir -p $(dir $@)
	$(Q)printf '/* GENERATED: cksum of rtl/ sources and register table. */\n#ifndef ISQ_BUILD_H\n#define ISQ_BUILD_H\n#define ISQ_BUILD_ID %su\n#endif\n' $(ISQ_BUILD_ID) > $@.tmp && mv $@.tmp $@

.PHONY: rtl-gen
rtl-gen: $(ISQ_GEN_H) $(ISQ_GEN_VH) $(ISQ_GEN_MD) $(ISQ_BUILD_H)
ALL_TARGETS += rtl-gen
GEN_HEADERS += $(ISQ_GEN_H) $(ISQ_BUILD_H)


# Test, benchmark and demo rules need the simulation libraries of sim/part.mk,
# so sim/part.mk includes rtl/tests.mk after defining them.

# ---- lint: Verilator -Wall on every configuration we build or synthesize,
# and on the synthesis wrapper (waivers are in the sources, each with its reason).
RTL_LINT_CFGS := 4096:1024:64 4096:1024:1024 256:16:64 1:1:64 32768:65536:128
.PHONY: lint-rtl lint-rtl-suite
lint-rtl: $(ISQ_GEN_VH)
	$(Q)p=0; f=0; for c in $(RTL_LINT_CFGS) hx8k; do \
	  if [ $$c = hx8k ]; then top=isq_hx8k; g="$(addprefix -G,$(HX8K_PARAMS))"; \
	  else top=$(RTL_TOP); set -- $$(echo $$c | tr : ' '); g="-GNUM_SA=$$1 -GNUM_GROUP=$$2 -GW=$$3"; fi; \
	  if verilator --lint-only -Wall -I$(TOP)/rtl $(ISQ_GEN_INC) --top-module $$top $$g \
	       $(RTL_SRCS) rtl/synth/isq_hx8k.v; then \
	    echo "ok   lint $$top $$g"; p=$$((p + 1)); \
	  else echo "FAIL lint $$top $$g"; f=$$((f + 1)); fi; \
	done; echo "rtl-lint: $$p passed, $$f failed"; [ $$f -eq 0 ]
LINT_TARGETS += lint-rtl
lint-rtl-suite:
	$(Q)$(RUN_SUITE) rtl-lint $(MAKE) --no-print-directory lint-rtl
CHECK_SUITES += lint-rtl-suite

# ---- synthesis (rtl/synth/synth.sh): generic yosys of the default
# configuration, yosys + nextpnr for the iCE40 HX8K configuration.
.PHONY: synth synth-suite
synth: $(ISQ_GEN_VH)
	$(Q)rtl/synth/synth.sh $(GEN) $(O)/synth $(BENCH_OUT)/synth.json $(HX8K_PARAMS)
synth-suite:
	$(Q)$(RUN_SUITE) rtl-synth $(MAKE) --no-print-directory synth
CHECK_SUITES += synth-suite
DEMO_TARGET := demo-rtl
