# Shared by Makefile and clients.mk: the machine, the freestanding flags, and what linking against a
# glibc installed under GLIBC_PREFIX takes (its headers, crt files and libraries, its ld.so as
# interpreter, its lib folder as RUNPATH), and whether a static-pie program can be linked.

CC ?= cc
GLIBC_PREFIX ?=

MACHINE := $(shell $(CC) -dumpmachine)
ifneq (,$(findstring x86_64,$(MACHINE)))
LDSO_NAME ?= ld-linux-x86-64.so.2
ARCH_FREESTANDING := -mgeneral-regs-only
else ifneq (,$(findstring aarch64,$(MACHINE)))
LDSO_NAME ?= ld-linux-aarch64.so.1
ARCH_FREESTANDING := -mgeneral-regs-only $(shell $(CC) -mno-outline-atomics -E -x c /dev/null >/dev/null 2>&1 && echo -mno-outline-atomics)
else
$(error the probes support x86_64 and aarch64, not $(MACHINE))
endif

WARN := -Wall -Wextra -Werror=implicit-int -Werror=int-conversion -Werror=implicit-function-declaration
COMMON := -std=gnu11 -O2 -g $(WARN) -fno-stack-protector -fPIC
# Code that must run without libc (IFUNC resolvers, audit, vfork child, before TLS).
FREESTANDING := -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns \
  -fvisibility=hidden $(ARCH_FREESTANDING)

ifneq ($(strip $(GLIBC_PREFIX)),)
override GLIBC_PREFIX := $(abspath $(GLIBC_PREFIX))
PREFIX_CPPFLAGS := -isystem $(GLIBC_PREFIX)/include
PREFIX_LINK := -B$(GLIBC_PREFIX)/lib -L$(GLIBC_PREFIX)/lib
SHARED_RPATH := -Wl,-rpath,'$$ORIGIN:$(GLIBC_PREFIX)/lib'
INTERP := -Wl,--dynamic-linker=$(GLIBC_PREFIX)/lib/$(LDSO_NAME)
else
PREFIX_CPPFLAGS :=
PREFIX_LINK :=
SHARED_RPATH := -Wl,-rpath,'$$ORIGIN'
INTERP :=
endif

# static-pie (docs/probe-protocol.md, "The static-pie link"): GCC 8 or later (-static-pie) and the libc's
# rcrt1.o, which glibc installs only when configure found static-pie support (2.27 and later; on by
# default from 2.34 where the toolchain can). STATIC_PIE_MISSING is empty when both are there, else
# it says which is missing. Recursive (=): evaluated only by the makefile that asks.
CC_STATIC_PIE = $(shell $(CC) -static-pie -E -x c /dev/null >/dev/null 2>&1 && echo yes)
ifneq ($(strip $(GLIBC_PREFIX)),)
STATIC_PIE_CRT = $(wildcard $(GLIBC_PREFIX)/lib/rcrt1.o)
STATIC_PIE_LIBC = the glibc under $(GLIBC_PREFIX)
else
STATIC_PIE_CRT = $(filter /%,$(shell $(CC) -print-file-name=rcrt1.o))
STATIC_PIE_LIBC = the system libc
endif
STATIC_PIE_MISSING = $(if $(CC_STATIC_PIE),$(if $(STATIC_PIE_CRT),,$(STATIC_PIE_LIBC) has no rcrt1.o (built without static-pie support)),$(CC) does not know -static-pie (GCC 8 or later does))
