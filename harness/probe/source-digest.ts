/**
 * The probe suite's source digest: part of the cache key of the probes (execute.ts) and of the
 * selftests (clients.ts) compiled against a build, so that a change to any file under probes/
 * compiles both again.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { filesUnder } from '../cache/digest.js';

/** A digest of every file under the probes folder: its path and its content. */
export async function probeSourceDigest(probesDir: string): Promise<string> {
  const h = createHash('sha256');
  for (const f of await filesUnder(probesDir))
    h.update(relative(probesDir, f))
      .update('\0')
      .update(await readFile(f));
  return h.digest('hex').slice(0, 16);
}
