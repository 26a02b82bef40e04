export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
}

/** Capped exponential backoff with full jitter: attempt 1 waits up to initialMs, doubling to maxMs. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface RetryOptions<T> {
  policy: RetryPolicy;
  /** Only these errors are retried; anything else is rethrown at once. */
  isRetriable: (error: unknown) => boolean;
  /** Checked before each retry: false gives up (rethrowing the last error), e.g. on shutdown. */
  shouldContinue?: () => boolean;
  /** Called after each failure, before the wait; may throw to abort (e.g. a lost group membership). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => Promise<void> | void;
  /** Called once on success after at least one failure. */
  onRecovered?: (attempts: number) => Promise<void> | void;
  sleep?: (ms: number) => Promise<void>;
  /** Most attempts in all; unbounded when absent (for storage that must eventually come back). */
  maxAttempts?: number;
  task: () => Promise<T>;
}

/**
 * JavaScript faults (a TypeError, RangeError, SyntaxError or ReferenceError)
 * are bugs: retrying them repeats the same fault. Anything else is taken for
 * I/O that may come back.
 */
export function isProgrammingError(error: unknown): boolean {
  return error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError || error instanceof ReferenceError;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function retry<T>(options: RetryOptions<T>): Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await options.task();
      if (attempt > 1) await options.onRecovered?.(attempt);
      return value;
    } catch (error) {
      const exhausted = options.maxAttempts !== undefined && attempt >= options.maxAttempts;
      if (!options.isRetriable(error) || exhausted || options.shouldContinue?.() === false) throw error;
      const delay = backoffDelay(attempt, options.policy);
      await options.onRetry?.(error, attempt, delay);
      await sleep(delay);
      if (options.shouldContinue?.() === false) throw error;
    }
  }
}
