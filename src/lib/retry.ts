/**
 * The one backoff and polling schedule of the suite: HTTP retries, the push loop, the file registry's lock, waiting for
 * a model version to become READY and waiting for Argo CD all use it, so a delay is computed the same way everywhere
 * and tests can replace time (`sleep`, `random`, `now`) in one place.
 */

export interface BackoffPolicy {
  /** The delay before the first retry (attempt 0). */
  readonly initialMs: number;
  /** Each later delay is this many times longer... */
  readonly factor: number;
  /** ...up to this cap. */
  readonly maxMs: number;
  /**
   * How delays are spread so that many clients do not retry in step:
   * - `none`: exactly the exponential delay;
   * - `equal`: a random delay between half and all of it (the push loop, the lock);
   * - a number: up to that many milliseconds added at random (the MLflow client's policy).
   */
  readonly jitter: 'none' | 'equal' | number;
}

/** The delay before retry number `attempt` (0-based). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  if (policy.jitter === 'none') return exponential;
  if (policy.jitter === 'equal') return Math.round(exponential / 2 + (random() * exponential) / 2);
  return exponential + random() * policy.jitter;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What replaces real time in tests. */
export interface Clock {
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
}

export const SYSTEM_CLOCK: Clock = { now: () => Date.now(), sleep, random: Math.random };

export type PollResult<T> = { readonly done: true; readonly value: T } | { readonly done: false };

export interface PollOptions {
  readonly policy: BackoffPolicy;
  /** Give up after this long (measured from the first probe). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
}

export type PollOutcome<T> = { readonly done: true; readonly value: T; readonly probes: number } | { readonly done: false; readonly probes: number; readonly elapsedMs: number };

/**
 * Calls `probe` until it reports done or the time is up, waiting the policy's growing delays in between (never past
 * the deadline). A probe that throws ends the poll with its error.
 */
export async function poll<T>(probe: () => Promise<PollResult<T>>, options: PollOptions): Promise<PollOutcome<T>> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const started = clock.now();
  const deadline = started + options.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const result = await probe();
    if (result.done) return { done: true, value: result.value, probes: attempt + 1 };
    const left = deadline - clock.now();
    if (left <= 0) return { done: false, probes: attempt + 1, elapsedMs: clock.now() - started };
    await clock.sleep(Math.min(backoffDelay(options.policy, attempt, clock.random), left), options.signal);
  }
}

export interface RetryOptions {
  readonly policy: BackoffPolicy;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Whether the error of attempt `attempt` (0-based) is worth another attempt. */
  readonly shouldRetry: (error: unknown, attempt: number) => boolean;
  /** Called before each wait, e.g. to log "retrying in 250 ms". */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** No wait may end after this time (ms since the epoch); the last error is thrown instead. */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
}

/** Runs `operation` until it succeeds, an error is not worth retrying, or the attempts or the deadline run out. */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt + 1 >= options.maxAttempts || !options.shouldRetry(error, attempt)) throw error;
      const delay = backoffDelay(options.policy, attempt, clock.random);
      if (options.deadline !== undefined && clock.now() + delay >= options.deadline) throw error;
      options.onRetry?.(error, attempt, delay);
      await clock.sleep(delay, options.signal);
    }
  }
}
