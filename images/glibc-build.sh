#!/bin/bash
# rseq-matrix's glibc build recipe, run inside a toolchain container (see harness/build/glibc.ts).
# MODE=cold builds from the tarball; MODE=incremental starts from a copied tree of the same source and
# configuration and only patches and runs `make install`.
set -euo pipefail
phase() { echo "@@phase $1"; }
cd /work
# ccache (CCACHE_DIR is the build cache's ccache/ folder, mounted by the harness): gcc and g++ are
# reached through /usr/lib/ccache, so configure records plain "gcc" and turning ccache off is a PATH
# change, not a different configuration. Every build runs in /work, so object files of one source
# compiled for two variants hash alike. How ccache caches (depend mode) is the harness's CCACHE_ENV
# (harness/builder/recipe.ts), passed in the environment.
if [ "${USE_CCACHE:-0}" = 1 ] && [ -d /usr/lib/ccache ]; then
  # This build's own ccache statistics (the directory's are the totals of every build).
  export PATH=/usr/lib/ccache:$PATH CCACHE_STATSLOG=/tmp/ccache-stats.log
  echo "ccache: on ($CCACHE_DIR; depend mode ${CCACHE_DEPEND:-0})"
else
  unset CCACHE_DIR
  echo "ccache: off"
fi
if [ "$MODE" = cold ]; then
  phase unpack
  mkdir -p src build
  tar -xf /in/source.tar -C src --strip-components=1
  if [ -f /in/debian.tar ]; then
    phase debian-patches
    mkdir -p /tmp/debian && tar -xf /in/debian.tar -C /tmp/debian
    while read -r p _; do
      case "$p" in ''|'#'*) continue ;; esac
      patch -d src -p1 --batch --forward --no-backup-if-mismatch --quiet < "/tmp/debian/debian/patches/$p"
    done < /tmp/debian/debian/patches/series
  fi
  if [ ! -d src/manual ]; then
    # Debian's orig tarballs lack manual/; this stand-in builds and installs nothing.
    mkdir src/manual
    printf '# rseq-matrix: stand-in for the manual Debian removes: an empty subdirectory\nsubdir := manual\ninclude ../Makeconfig\ninclude ../Rules\n' > src/manual/Makefile
  fi
  # A build tweak of the harness's own, which changes no installed byte: glibc writes abi-versions.h
  # with `mv -f` (Makerules:99-102, the same in 2.31 to 2.44), so after a variant changes a Versions
  # file the header gets a new mtime although its text is the same, and make recompiles the ~2,050
  # objects that include it (through shlib-compat.h). Here the rule writes it through glibc's own
  # move-if-change, which keeps the old file (and mtime) when the text is the same. The rule then runs
  # again in every sub-make that consults the header, and sub-makes run side by side, so each writes
  # its own temporary (the shell's PID) and renames it, in one recipe line.
  rule='^\$(common-objpfx)abi-versions\.h: '
  sed '/'"$rule"'/,/^\tmv -f \$@T \$@$/{s/^\tLC_ALL=C \$(AWK) -f \$^ > \$@T$/\tLC_ALL=C $(AWK) -f $^ > $@T$$$$ \&\& $(move-if-change) $@T$$$$ $@/;/^\tmv -f \$@T \$@$/d}' \
    src/Makerules > /tmp/Makerules.tweaked
  if grep -qF '> $@T$$$$ && $(move-if-change) $@T$$$$ $@' /tmp/Makerules.tweaked &&
    [ $(($(wc -l < src/Makerules) - $(wc -l < /tmp/Makerules.tweaked))) = 1 ]; then
    cp /tmp/Makerules.tweaked src/Makerules
    echo "build tweak: abi-versions.h written through move-if-change (Makerules)"
  else
    echo "build tweak: not applied (no abi-versions.h rule of the known form in Makerules)"
  fi
fi
phase patch
for p in /in/meta/patches/*.patch; do
  [ -e "$p" ] || continue
  echo "applying $(basename "$p")"
  if ! patch -d src -p1 --batch --forward --no-backup-if-mismatch < "$p"; then
    find src -name '*.rej' | while read -r r; do echo "--- rejected hunks ($r):"; cat "$r"; done
    echo "@@failed-patch $(basename "$p")"
    exit 10
  fi
done
if [ "$MODE" = cold ]; then
  phase configure
  mapfile -t args < /in/meta/configure.args
  (cd build && ../src/configure --prefix=/opt/glibc "${args[@]}")
fi
if [ "$MODE" = cold ]; then
  # A cold tree needs `make` first: `make -j install` alone fails in 2.36, since math's install of the
  # libm.so linker script needs mathvec/libmvec.so.1, which the later mathvec subdirectory builds
  # ("No rule to make target", 2026-12-07).
  phase make
  make -C build -j"$MAKE_JOBS"
  phase install
  make -C build -j"$MAKE_JOBS" install
else
  # The copied tree is a complete build, so `make install` alone remakes what the patches touch:
  # every installed file depends on the built one (2.36: Makerules:1021-1025 for libc.so, whose
  # prerequisites run the subdir_lib pass; Makefile:96 for each subdirectory's installs). A
  # separate `make` first walks every subdirectory once more (about 18 s of 2.36 on 2 cores when
  # nothing is left to do). One phase, named make because the compiles happen in it.
  phase make
  make -C build -j"$MAKE_JOBS" install
fi
if [ -n "${CCACHE_DIR:-}" ]; then
  # bullseye's ccache (4.2) has no --show-log-stats: it prints the directory's totals instead.
  { ccache --show-log-stats 2>/dev/null || { echo "no per-build statistics in this ccache; the cache's totals:"; ccache --show-stats; }; } | sed 's/^/ccache: /' || true
  # Which sources missed (the stats log names each compile's input, then its counters): a variant's
  # misses are what it really changed, or a cache that failed it.
  if [ -s "${CCACHE_STATSLOG:-}" ]; then
    awk '/^# /{f=substr($0,3)} $0=="cache_miss"{print "ccache-miss: " f}' "$CCACHE_STATSLOG" || true
  fi
fi
# The prefix's ld.so searches only the prefix, so it would not find the toolchain's libgcc_s, which
# pthread_cancel and unwinding load at run time: give the prefix (and the test tree) a copy.
libgcc_s=$(gcc -print-file-name=libgcc_s.so.1)
cp -L "$libgcc_s" /opt/glibc/lib/
cp -L "$libgcc_s" build/
if [ -s /in/meta/tests.txt ]; then
  phase glibc-tests
  mkdir -p /opt/glibc/.rseq-matrix
  : > /opt/glibc/.rseq-matrix/glibc-tests.txt
  while read -r t; do
    [ -n "$t" ] || continue
    if make -C build test t="$t" > "/tmp/test.log" 2>&1; then r=PASS; else r=UNRESOLVED; fi
    res=$(grep -E '^(PASS|FAIL|XFAIL|XPASS|UNSUPPORTED|UNRESOLVED): ' /tmp/test.log | tail -n1 | cut -d: -f1 || true)
    echo "$t ${res:-$r}" | tee -a /opt/glibc/.rseq-matrix/glibc-tests.txt
    tail -n 20 /tmp/test.log
  done < /in/meta/tests.txt
fi
phase done
