/**
 * The nightly workflow (.github/workflows/nightly.yml) cannot run here: instead, every rseq-matrix
 * command line in it must be accepted by our CLI's parser (buildProgram, with the actions stopped
 * before they run), and the workflow must have the shape the README promises. (That each subcommand
 * exists in the built CLI: test/cli/nightly.test.ts.)
 */
import type { Command } from 'commander';
import t from 'tap';
import { buildProgram } from '../../harness/cli/program.js';
import { parseShard } from '../../harness/results/merge.js';
import { commands, type Job, rseqMatrixLines, wf } from '../helpers/workflow.js';

class Parsed extends Error {
  constructor(
    readonly command: string,
    readonly args: unknown[],
    readonly opts: Record<string, unknown>,
  ) {
    super(`parsed ${command}`);
  }
}

/** Parses one command line with the real program; the action is never run. */
async function parse(args: string[]): Promise<Parsed | Error> {
  const program = buildProgram();
  const errors: string[] = [];
  const quiet = (c: Command) => {
    c.exitOverride().configureOutput({ writeOut: () => {}, writeErr: (s) => errors.push(s) });
    for (const sub of c.commands) quiet(sub);
  };
  quiet(program);
  program.hook('preAction', (_root, action) => {
    const path: string[] = [];
    for (let c: Command | null = action; c && c !== program; c = c.parent) path.unshift(c.name());
    throw new Parsed(path.join(' '), action.processedArgs, action.opts());
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return new Error(`no action ran for: ${args.join(' ')}`);
  } catch (e) {
    if (e instanceof Parsed) return e;
    return new Error(`${(e as Error).message}${errors.length ? `\n${errors.join('')}` : ''}`);
  }
}

const lines = rseqMatrixLines();

t.test('the workflow runs the commands the issue asks for', async (t) => {
  const used = lines.map((l) => `${l.job}: ${l.args[0]}`);
  for (const want of ['shard: setup', 'shard: run', 'merge: merge', 'merge: compare', 'merge: report'])
    t.ok(used.includes(want), want);
  t.equal(lines.filter((l) => l.args[0] === 'run').length, 3, 'one run line per shard');
});

t.test('every rseq-matrix command line in the workflow parses', async (t) => {
  for (const l of lines) {
    const p = await parse(l.args);
    if (!(p instanceof Parsed)) {
      t.fail(`${l.job} / ${l.step}: rseq-matrix ${l.args.join(' ')}: ${p.message}`);
      continue;
    }
    t.pass(`${l.job}: rseq-matrix ${l.args.join(' ')}`);
    // What the actions check themselves, before they touch anything:
    if (p.command === 'run' && p.opts.shard !== undefined)
      t.doesNotThrow(() => parseShard(String(p.opts.shard)), `--shard ${p.opts.shard}`);
    if (p.command === 'compare') t.ok(['text', 'markdown', 'json'].includes(String(p.opts.format)));
  }
});

t.test('the parser check is not a rubber stamp', async (t) => {
  t.type(await parse(['run', 'matrices/rseq.yaml', '--shard', '1/3', '--out', 'out']), Parsed);
  t.type(await parse(['merge', 'a.json', 'b.json', '--out', 'm']), Parsed);
  for (const bad of [
    ['run', 'matrices/rseq.yaml', '--shards', '1/3'],
    ['run'],
    ['merge', 'a.json'],
    ['merge', '--out', 'm'],
    ['compare', 'a.json'],
    ['report', 'r.json', '--base', 'x'],
    ['nightly'],
  ])
    t.notOk((await parse(bad)) instanceof Parsed, `refused: ${bad.join(' ')}`);
  t.same(
    commands('sudo -E env "PATH=$PATH" npx rseq-matrix run m.yaml --shard 2/3 --out out 2>&1 | tee x # c'),
    [
      [
        'sudo',
        '-E',
        'env',
        'PATH=$PATH',
        'npx',
        'rseq-matrix',
        'run',
        'm.yaml',
        '--shard',
        '2/3',
        '--out',
        'out',
      ],
    ],
  );
});

t.test('the workflow has the nightly shape', async (t) => {
  const shard = wf.jobs.shard as Job;
  const merge = wf.jobs.merge as Job;
  t.ok(shard && merge, 'a shard job and a merge job');
  t.equal(shard.strategy?.['fail-fast'], false, 'fail-fast: false');
  const values = shard.strategy?.matrix?.shard as number[];
  const runs = lines.filter((l) => l.args[0] === 'run');
  for (const r of runs) {
    const s = parseShard(r.args[r.args.indexOf('--shard') + 1] as string);
    t.equal(s.count, values.length, `${r.line}: N is the number of shard jobs`);
  }
  t.same(
    runs.map((r) => parseShard(r.args[r.args.indexOf('--shard') + 1] as string).index).sort(),
    values.map((_, i) => i),
    'the shard jobs cover every K of N once',
  );
  const upload = shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
  t.equal(upload?.if, 'always()', 'each shard uploads its results even when cells fail');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
  t.match(String(upload?.with?.name), '${{ matrix.shard }}', 'one artifact per shard');
  t.match(String(upload?.with?.path), 'out/results.json');

  t.same([merge.needs].flat(), ['shard']);
  t.match(String(merge.if), /always\(\)|!cancelled\(\)/, 'the merge runs when a shard failed too');
  const prev = merge.steps.find((s) => s.uses?.startsWith('dawidd6/action-download-artifact'));
  t.equal(prev?.['continue-on-error'], true, 'no previous night is not an error');
  t.equal(prev?.with?.workflow_conclusion, 'success', 'the baseline is the last successful night');
  const compare = lines.find((l) => l.args[0] === 'compare');
  t.same(compare?.args, ['compare', 'previous/results.json', 'merged/results.json', '--format', 'markdown']);
  const compareStep = merge.steps.find((s) => s.run?.includes('rseq-matrix compare'));
  t.match(compareStep?.run, '--format markdown >> "$GITHUB_STEP_SUMMARY"');
  t.ok(
    lines.some((l) => l.args[0] === 'report' && l.args.includes('--baseline')),
    'the report is written with --baseline',
  );
  const failing = merge.steps.filter((s) => s.run && /\bexit 1\b/.test(s.run));
  t.same(
    failing.map((s) => s.if),
    ["steps.compare.outputs.status == '1'"],
    'the only step that fails the night is the one for compare exit 1 (NEW-FAIL)',
  );
  t.equal(compareStep?.id, 'compare');
  const uploadMerged = merge.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
  t.equal(uploadMerged?.with?.name, prev?.with?.name, 'tonight uploads what tomorrow downloads');
  t.match(String(uploadMerged?.with?.path), 'merged/report.html');
});
