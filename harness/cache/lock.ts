/**
 * A lock per cache key across processes: a directory made atomically, holding its owner's pid. A lock
 * whose owner is dead (kill -9, a crash) is taken over; a live owner is waited for.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How long a lock may be without its pid (its owner between mkdir and writing it) and still count as held. */
const PID_GRACE_MS = 60_000;

function ownerAlive(dir: string): boolean {
  try {
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Is the lock at path held by a live process? A lock without a pid counts as held for a minute after it
 * was made (its owner may not have written the pid yet); `cache gc` leaves what a held lock guards.
 */
export function lockHeld(path: string): boolean {
  let made: number;
  try {
    made = statSync(path).mtimeMs;
  } catch {
    return false;
  }
  if (ownerAlive(path)) return true;
  try {
    readFileSync(join(path, 'pid'), 'utf8');
    return false;
  } catch {
    return Date.now() - made < PID_GRACE_MS;
  }
}

export async function withLock<T>(path: string, work: () => Promise<T>, onWait?: () => void): Promise<T> {
  let waited = false;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // The owner may not have written its pid yet: give it a moment before calling the lock stale.
      await new Promise((r) => setTimeout(r, 500));
      if (!ownerAlive(path)) {
        try {
          const pid = Number(readFileSync(join(path, 'pid'), 'utf8'));
          if (pid) rmSync(path, { recursive: true, force: true });
        } catch {
          rmSync(path, { recursive: true, force: true });
        }
        continue;
      }
      if (!waited) onWait?.();
      waited = true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}
