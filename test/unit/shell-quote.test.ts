/** shellQuote: the words of the runner script and of each cell's displayed command, as bash reads them. */
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { shellQuote } from '../../harness/probe/plan.js';

t.test(
  "shellQuote: safe words as they are, others in bash's $'...' form exactly as zx quotes them",
  async (t) => {
    const { quote } = await import('zx');
    const words = [
      '',
      'plain',
      "it's",
      'a b',
      'tab\there',
      'nl\nx',
      'back\\slash',
      'cr\rff\fvt\v',
      'nul\0',
      '$HOME',
      'é',
      '"q"',
    ];
    let seed = 17;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let i = 0; i < 300; i++)
      words.push(String.fromCharCode(...Array.from({ length: rnd() % 12 }, () => rnd() % 128)));
    for (const w of words) {
      const q = shellQuote(w);
      if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w)) t.equal(q, w);
      else t.equal(q, quote(w), JSON.stringify(w));
    }
    // And bash reads each back as the word it was.
    const sample = words.slice(0, 12).filter((w) => !w.includes('\0'));
    const echoed = execFileSync('bash', [
      '-c',
      sample.map((w) => `printf '%s\\0' ${shellQuote(w)}`).join('; '),
    ])
      .toString()
      .split('\0')
      .slice(0, -1);
    t.same(echoed, sample);
  },
);
