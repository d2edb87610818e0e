/** The bench's account of a variant's ccache misses: patched files, dependency files, which misses they explain. */
import t from 'tap';
import {
  accountMisses,
  missedSources,
  parseDependencies,
  patchedFiles,
  treePath,
} from '../../harness/cli/bench-misses.js';

t.test('patchedFiles names each changed file once, without the b/ prefix', async (t) => {
  const diff = [
    'From: someone',
    '--- a/sysdeps/nptl/dl-tls_init_tp.c',
    '+++ b/sysdeps/nptl/dl-tls_init_tp.c',
    '@@ -1 +1 @@',
    '-a',
    '+b',
    '--- a/sysdeps/unix/sysv/linux/rseq-internal.h',
    '+++ b/sysdeps/unix/sysv/linux/rseq-internal.h',
    '--- /dev/null',
    '+++ b/sysdeps/unix/sysv/linux/rseq-sym.c',
    '+++ b/sysdeps/nptl/dl-tls_init_tp.c',
    '++++ a line of the hunk that starts with +++ is not a header, but has no b/ either',
  ].join('\n');
  t.same(patchedFiles(diff).slice(0, 3), [
    'sysdeps/nptl/dl-tls_init_tp.c',
    'sysdeps/unix/sysv/linux/rseq-internal.h',
    'sysdeps/unix/sysv/linux/rseq-sym.c',
  ]);
});

t.test('parseDependencies reads the object rule and ignores -MP phony rules', async (t) => {
  const d = parseDependencies(
    [
      '/work/build/nptl/pthread_create.o: pthread_create.c ../include/stdc-predef.h \\',
      ' /work/build/libc-modules.h \\',
      ' ../sysdeps/unix/sysv/linux/rseq-internal.h',
      '../include/stdc-predef.h:',
      '/work/build/libc-modules.h:',
    ].join('\n'),
  );
  t.same(d, {
    source: 'pthread_create.c',
    files: [
      'pthread_create.c',
      '../include/stdc-predef.h',
      '/work/build/libc-modules.h',
      '../sysdeps/unix/sysv/linux/rseq-internal.h',
    ],
  });
  t.equal(parseDependencies(''), undefined);
  t.equal(parseDependencies('x.o:\n'), undefined);
});

t.test('treePath resolves what the compiler saw in a subdirectory to a source-tree path', async (t) => {
  t.equal(treePath('../sysdeps/unix/sysv/linux/sys/rseq.h', 'nptl'), 'sysdeps/unix/sysv/linux/sys/rseq.h');
  t.equal(treePath('libc-start.c', 'csu'), 'csu/libc-start.c');
  t.equal(treePath('../sysdeps/x86/libc-start.c', 'csu'), 'sysdeps/x86/libc-start.c');
  t.equal(treePath('/work/src/elf/rtld.c', 'elf'), 'elf/rtld.c');
  t.equal(treePath('/work/build/libc-modules.h', 'csu'), '/work/build/libc-modules.h');
  t.equal(
    treePath('/usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h', 'csu'),
    '/usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h',
  );
  const d = parseDependencies('x.o: x.c ../include/rseq.h\n', 'misc');
  t.same(d, { source: 'x.c', files: ['misc/x.c', 'include/rseq.h'] });
  // glibc writes the object directory and the source top as make variables.
  const g = parseDependencies(
    '$(common-objpfx)math/s_ldexp.o: $(common-objpfx)math/s_ldexp.c \\\n $(common-objpfx)first-versions.h ../include/math.h\n',
    'math',
  );
  t.same(g, {
    source: '/work/build/math/s_ldexp.c',
    files: ['/work/build/math/s_ldexp.c', '/work/build/first-versions.h', 'include/math.h'],
  });
  t.equal(treePath('$(..)include/stdc-predef.h', ''), 'include/stdc-predef.h');
  t.equal(treePath('$(..)include/stdc-predef.h', 'csu'), 'include/stdc-predef.h');
});

t.test('accountMisses: must-miss compiles, explained misses and the rest', async (t) => {
  const deps = [
    {
      source: 'pthread_create.c',
      files: ['nptl/pthread_create.c', 'sysdeps/unix/sysv/linux/rseq-internal.h'],
    },
    {
      source: 'pthread_create.c',
      files: ['nptl/pthread_create.c', 'sysdeps/unix/sysv/linux/rseq-internal.h'],
    },
    { source: 'malloc.c', files: ['malloc/malloc.c', 'include/stdlib.h'] },
    { source: 'init-first.c', files: ['csu/init-first.c', '/work/build/abi-versions.h'] },
  ];
  const changed = ['sysdeps/unix/sysv/linux/rseq-internal.h', 'sysdeps/unix/sysv/linux/rseq-sym.c'];
  const log = [
    'ccache: Misses: 4 / 10',
    'ccache-miss: pthread_create.c',
    'ccache-miss: ../sysdeps/unix/sysv/linux/rseq-sym.c',
    'ccache-miss: init-first.c',
    'ccache-miss: malloc.c',
  ].join('\n');
  const a = accountMisses(deps, changed, missedSources(log));
  t.same(a, {
    mustMiss: 2,
    misses: 4,
    explained: 2,
    unexplained: ['init-first.c', 'malloc.c'],
    generated: { header: '/work/build/abi-versions.h', readers: 1 },
  });
  const b = accountMisses(deps, [...changed, '/work/build/abi-versions.h'], missedSources(log));
  t.same(b.unexplained, ['malloc.c']);
  t.equal(b.mustMiss, 3);
  t.same(accountMisses(deps, [], []), { mustMiss: 0, misses: 0, explained: 0, unexplained: [] });
});
