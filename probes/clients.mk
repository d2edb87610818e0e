# The Linux rseq selftests built as clients of a glibc build (docs/probe-protocol.md, "Clients").
#
#   make -k -f clients.mk -C probes OUT=/abs/dir SELFTESTS=/abs/tree [GLIBC_PREFIX=/opt/glibc]
#
# SELFTESTS is the part of a kernel source tree the harness keeps: tools/testing/selftests/rseq,
# tools/testing/selftests/kselftest.h, tools/include/linux and include/uapi/linux/{auxvec,membarrier,rseq}.h.
# The tests are built as the kernel's own Makefile builds them (librseq.so from rseq.c, each test
# linked against it, the same -D options), plus what a glibc installed elsewhere needs. Static forms
# compile rseq.c into the test. Every target keeps its compiler output in OUT/logs/<link>-<name>.log,
# and one that does not build does not stop the others (-k).
#
# The client observer (client-observer.c) rides along: LD_PRELOAD libprobe-client.so for the shared
# tests, linked in with --wrap=syscall for the static ones.
#
# Beside them, our own 2019-ABI client (client-rseq-2019.c, stage client:rseq-2019): OUT/shared/rseq-2019
# and OUT/static/rseq-2019. It writes its own observation line (rseqprobe.c), so neither form links the
# observer in; the harness still preloads libprobe-client.so into the shared one, where it stays inert
# (it writes only for processes that carry the selftests' librseq).

ifeq ($(strip $(OUT)),)
$(error OUT=<dir> is required)
endif
ifeq ($(strip $(SELFTESTS)),)
$(error SELFTESTS=<dir> is required)
endif
override OUT := $(abspath $(OUT))
override SELFTESTS := $(abspath $(SELFTESTS))
SRC := $(SELFTESTS)/tools/testing/selftests/rseq
OBJ := $(OUT)/.obj
LOGS := $(OUT)/logs
KHDR := $(OUT)/.khdr

include toolchain.mk

# The selftests' own flags (tools/testing/selftests/rseq/Makefile), with the uapi headers they need
# taken from the same kernel tree rather than from the toolchain's (older) linux-libc-dev.
ST_CFLAGS := -O2 -Wall -g -I$(SRC) -isystem $(KHDR) -I$(SELFTESTS)/tools/include $(PREFIX_CPPFLAGS)
ST_LDLIBS := -lpthread -ldl

TESTS := basic_test basic_percpu_ops_test basic_percpu_ops_mm_cid_test param_test \
  param_test_benchmark param_test_compare_twice param_test_mm_cid \
  param_test_mm_cid_benchmark param_test_mm_cid_compare_twice
DEFS_basic_test :=
DEFS_basic_percpu_ops_test :=
DEFS_basic_percpu_ops_mm_cid_test := -DBUILDOPT_RSEQ_PERCPU_MM_CID
DEFS_param_test :=
DEFS_param_test_benchmark := -DBENCHMARK
DEFS_param_test_compare_twice := -DRSEQ_COMPARE_TWICE
DEFS_param_test_mm_cid := -DBUILDOPT_RSEQ_PERCPU_MM_CID
DEFS_param_test_mm_cid_benchmark := -DBUILDOPT_RSEQ_PERCPU_MM_CID -DBENCHMARK
DEFS_param_test_mm_cid_compare_twice := -DBUILDOPT_RSEQ_PERCPU_MM_CID -DRSEQ_COMPARE_TWICE
source_of = $(SRC)/$(patsubst basic_percpu_ops_mm_cid_test,basic_percpu_ops_test,$(patsubst param_test%,param_test,$(1))).c

# Runs a compile, keeping its output in a log; prints the log and fails when the compile fails.
logged = mkdir -p $(LOGS) && { $(2); } > $(LOGS)/$(1).log 2>&1 || { cat $(LOGS)/$(1).log; rm -f $@; exit 1; }

# (a comma inside $(call ...) would split its arguments)
WRAP := -Wl,--wrap=syscall

.PHONY: all
all: $(OUT)/libprobe-client.so \
  $(addprefix $(OUT)/shared/,$(TESTS) run_param_test.sh) \
  $(addprefix $(OUT)/static/,$(TESTS) run_param_test.sh) \
  $(OUT)/shared/rseq-2019 $(OUT)/static/rseq-2019

$(OBJ) $(KHDR)/linux $(OUT)/shared $(OUT)/static:
	mkdir -p $@

$(KHDR)/linux/%.h: $(SELFTESTS)/include/uapi/linux/%.h | $(KHDR)/linux
	cp $< $@
HEADERS := $(KHDR)/linux/auxvec.h $(KHDR)/linux/membarrier.h $(KHDR)/linux/rseq.h

$(OBJ)/rseqprobe.fs.o: rseqprobe.c rseqprobe.h | $(OBJ)
	$(CC) -std=gnu11 -O2 -g -Wall -fno-stack-protector -fPIC -I. $(FREESTANDING) -c $< -o $@
$(OBJ)/client-observer.shared.o: client-observer.c rseqprobe.h | $(OBJ)
	$(CC) -std=gnu11 -O2 -g -Wall -fPIC -I. $(PREFIX_CPPFLAGS) -c $< -o $@
$(OBJ)/client-observer.static.o: client-observer.c rseqprobe.h | $(OBJ)
	$(CC) -std=gnu11 -O2 -g -Wall -I. $(PREFIX_CPPFLAGS) -DCO_STATIC -c $< -o $@

$(OUT)/libprobe-client.so: $(OBJ)/client-observer.shared.o $(OBJ)/rseqprobe.fs.o
	$(CC) -shared $(PREFIX_LINK) $(SHARED_RPATH) -Wl,-soname,libprobe-client.so -o $@ $^ -ldl

$(OUT)/shared/librseq.so: $(SRC)/rseq.c $(HEADERS) | $(OUT)/shared
	@$(call logged,shared-librseq.so,$(CC) $(ST_CFLAGS) -shared -fPIC $(PREFIX_LINK) $(SHARED_RPATH) $< $(ST_LDLIBS) -o $@)

$(OUT)/shared/%: $(OUT)/shared/librseq.so $(HEADERS) | $(OUT)/shared
	@$(call logged,shared-$*,$(CC) $(ST_CFLAGS) $(DEFS_$*) $(PREFIX_LINK) $(SHARED_RPATH) $(INTERP) $(call source_of,$*) -L$(OUT)/shared $(ST_LDLIBS) -lrseq -o $@)

$(OUT)/static/%: $(OBJ)/client-observer.static.o $(OBJ)/rseqprobe.fs.o $(HEADERS) | $(OUT)/static
	@$(call logged,static-$*,$(CC) -static $(ST_CFLAGS) $(DEFS_$*) $(PREFIX_LINK) $(call source_of,$*) $(SRC)/rseq.c $(OBJ)/client-observer.static.o $(OBJ)/rseqprobe.fs.o $(WRAP) $(ST_LDLIBS) -o $@)

$(OUT)/shared/run_param_test.sh $(OUT)/static/run_param_test.sh: $(SRC)/run_param_test.sh
	mkdir -p $(@D) && cp $< $@ && chmod +x $@

# The 2019-ABI client: explicit rules, so the selftests' patterns above do not apply. The dynamic one is
# the toolchain's default executable (PIE); it defines __rseq_abi weakly, which ld exports because
# libc.so of a 2019-ABI variant defines it too.
R2019_CFLAGS := -std=gnu11 -O2 -g -Wall -I. $(PREFIX_CPPFLAGS)
$(OUT)/shared/rseq-2019: client-rseq-2019.c rseqprobe.h $(OBJ)/rseqprobe.fs.o | $(OUT)/shared
	@$(call logged,shared-rseq-2019,$(CC) $(R2019_CFLAGS) $(PREFIX_LINK) $(SHARED_RPATH) $(INTERP) $< $(OBJ)/rseqprobe.fs.o -o $@)
$(OUT)/static/rseq-2019: client-rseq-2019.c rseqprobe.h $(OBJ)/rseqprobe.fs.o | $(OUT)/static
	@$(call logged,static-rseq-2019,$(CC) -static $(R2019_CFLAGS) $(PREFIX_LINK) $< $(OBJ)/rseqprobe.fs.o -o $@)
