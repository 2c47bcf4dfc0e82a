# ipsecha — top-level Makefile.
#
#   make            build everything that exists (installs missing Debian packages first)
#   make check      run every test suite; ends with "tests: N passed, N failed, N skipped"
#   make demo       the main job: the demo on the simulated card
#   make bench      run every benchmark (tables on stdout, JSON in bench/out/)
#   make SANITIZE=1 ...   same, built with ASan+UBSan into build/asan/
#   make V=1 ...    show commands
#
# Each part contributes a fragment, <part>/part.mk, that appends to the lists
# below and defines its own targets (test-<part>, bench-<part>, ...). Outputs go
# under $(O) (build/, or build/asan/ with SANITIZE=1); binaries under $(BIN).

# A recipe that fails leaves no half-written target behind.
.DELETE_ON_ERROR:

TOP       := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
SANITIZE  ?= 0
ifeq ($(SANITIZE),1)
O         ?= build/asan
else
O         ?= build
endif
BIN       := $(O)/bin
GEN       := $(O)/gen
BENCH_OUT := bench/out

CC        ?= gcc
CXX       ?= g++
CLANG     ?= clang
# C11 everywhere; _GNU_SOURCE for POSIX/Linux APIs in host code.
CSTD      := -std=c11
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
OPT       ?= -O2 -g
CPPFLAGS  += -MMD -MP -D_GNU_SOURCE
CFLAGS    := $(CSTD) $(OPT) $(WARN)
CXXFLAGS  := -std=c++17 $(OPT) -faligned-new
LDFLAGS   :=
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(SANITIZE),1)
CFLAGS    += $(SAN_FLAGS)
CXXFLAGS  += $(SAN_FLAGS)
LDFLAGS   += $(SAN_FLAGS)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Lists the fragments append to.
ALL_TARGETS   :=   # built by `make`
CHECK_SUITES  :=   # make targets run by `make check`, each records its results via tests/lib/run-suite
ASAN_SUITES   :=   # test targets that are rerun under ASan+UBSan by `make check` (suite test-asan)
BENCH_TARGETS :=   # run by `make bench`
LINT_TARGETS  :=   # run by `make lint`
CLEAN_EXTRA   :=
DEMO_TARGET   :=   # the most complete demo; later fragments override earlier ones
CLI_SRCS      := cli/main.c cli/cli_util.c $(sort $(wildcard cli/cmd_*.c))
CLI_CFLAGS    :=   # parts add include paths the CLI needs
CLI_LIBS      :=   # parts add archives the CLI links (dependencies of the binary)
CLI_LDLIBS    := -ljson-c

RUN_SUITE := $(TOP)/tests/lib/run-suite
DEPS_STAMP := build/.deps-stamp

.DEFAULT_GOAL := all
.PHONY: all check check-run demo bench lint deps clean test-asan help

PARTS := rtl sim sim/card firmware hostlib driver/vfio driver/xdp agent cli
-include $(addsuffix /part.mk,$(PARTS))

# ---- the ipsecha CLI: one binary, subcommands register themselves (cli/cmd_*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/obj/%.o)
$(BIN)/ipsecha: $(CLI_OBJS) $(CLI_LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(CLI_LIBS) $(CLI_LDLIBS)
$(CLI_OBJS): CFLAGS += $(CLI_CFLAGS) -Icli
ALL_TARGETS += $(BIN)/ipsecha

all: $(DEPS_STAMP) $(ALL_TARGETS)

# Install missing Debian packages once per change of the list.
$(DEPS_STAMP): tools/deps.txt tools/deps.sh
	$(Q)./tools/deps.sh
	$(Q)mkdir -p $(dir $@) && touch $@
deps:
	$(Q)./tools/deps.sh && mkdir -p build && touch $(DEPS_STAMP)

# make check: every suite runs even if an earlier one failed; the summary's
# exit status is the verdict.
# The build is a suite of its own, so a build failure is counted and shown
# in the summary like any other failure instead of ending the run early.
check: $(DEPS_STAMP)
	$(Q)rm -rf build/test-results build/test-logs
	$(Q)IPSECHA_KEEP_GOING=1 $(RUN_SUITE) build $(MAKE) --no-print-directory -k all
	$(Q)IPSECHA_KEEP_GOING=1 $(MAKE) --no-print-directory -k $(CHECK_SUITES) test-asan; true
	$(Q)$(TOP)/tests/lib/summary

# The unit-level suites again, built and run with ASan+UBSan.
test-asan: $(DEPS_STAMP)
ifneq ($(strip $(ASAN_SUITES)),)
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 O=build/asan ASAN_RUN=1 $(ASAN_SUITES)
endif

demo: $(DEPS_STAMP)
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(if $(DEMO_TARGET),$(MAKE) --no-print-directory $(DEMO_TARGET),echo "no demo yet" >&2; false)

bench: $(DEPS_STAMP) $(BENCH_TARGETS)
lint: $(DEPS_STAMP) $(LINT_TARGETS)

clean:
	rm -rf build $(BENCH_OUT) $(CLEAN_EXTRA)

help:
	@sed -n '2,12p' Makefile

# Generic C object rule: $(O)/obj/<path>.o from <path>.c. Generated headers
# (GEN_HEADERS, from the parts) exist before any compile: which object
# includes them is known only from its .d file, after the first build.
$(O)/obj/%.o: %.c | $(GEN_HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
