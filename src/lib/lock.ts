/**
 * Inter-process locks on the file system (proper-lockfile: an atomic `mkdir` lock whose mtime is refreshed while it is
 * held, so a lock left by a crashed run goes stale and is taken over instead of blocking every later run).
 */
import lockfile from 'proper-lockfile';
import { UserError } from './errors.ts';
import { retry, type BackoffPolicy } from './retry.ts';

export interface LockOptions {
  /** A lock not refreshed for this long belongs to a dead process and is taken over (proper-lockfile minimum: 5 s). */
  staleMs?: number;
  /** What the lock protects, for the error when it cannot be taken, e.g. `the file registry at /repo/registry`. */
  description: string;
}

const DEFAULT_STALE_MS = 10_000;

/**
 * Waiting schedule for a busy lock: short randomised waits (many runs queue for a few milliseconds each), capped so
 * the total wait (roughly 1 minute) outlasts the stale timeout of a crashed holder.
 */
const LOCK_BACKOFF: BackoffPolicy = { initialMs: 10, factor: 1.2, maxMs: 300, jitter: 'equal' };
const LOCK_ATTEMPTS = 400;

/**
 * Runs `critical` while holding the lock directory `lockPath` (created inside an existing directory). `assertHeld`
 * throws when the lock was lost (its refresh failed or another process took it over), so `critical` calls it before
 * each write and never writes without the lock.
 */
export async function withLock<T>(
  lockPath: string,
  options: LockOptions,
  critical: (assertHeld: () => void) => Promise<T>,
): Promise<T> {
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await retry(
      () =>
        lockfile.lock(lockPath, {
          lockfilePath: lockPath,
          realpath: false,
          stale: options.staleMs ?? DEFAULT_STALE_MS,
          retries: 0,
          onCompromised: (error) => {
            compromised = error;
          },
        }),
      { policy: LOCK_BACKOFF, maxAttempts: LOCK_ATTEMPTS, shouldRetry: (error) => (error as NodeJS.ErrnoException).code === 'ELOCKED' },
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new UserError(
        `Could not lock ${options.description}: another run held the lock ${lockPath} for over a minute; retry when it has finished, or delete that directory if no run is active.`,
        { cause: error },
      );
    }
    throw error;
  }
  const assertHeld = (): void => {
    if (compromised !== undefined) {
      // Another run took the lock over (this one stalled past the stale timeout): writing now could lose its update.
      throw new UserError(
        `Lost the lock ${lockPath} on ${options.description} to another run (${compromised.message}), so nothing more was written; run again once the other run has finished.`,
        { cause: compromised },
      );
    }
  };
  try {
    return await critical(assertHeld);
  } finally {
    await release().catch((error: unknown) => {
      // Releasing a lock that was already taken over is harmless; the write guarded by assertHeld did not happen.
      if (compromised === undefined) throw error;
    });
  }
}
