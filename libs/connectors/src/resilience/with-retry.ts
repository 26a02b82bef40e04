import { z } from 'zod';
import { ConnectorError, ConnectorTimeoutError } from '../connector.errors.js';

/** Bounds for one connector operation; part of every connector's config. */
export const retryPolicySchema = z.strictObject({
  /** Attempts in all, the first included. */
  max_attempts: z.int().min(1).max(10).default(3),
  initial_delay_ms: z.int().min(0).max(60_000).default(200),
  max_delay_ms: z.int().min(0).max(300_000).default(5_000),
  /** For each attempt, not for all of them together. */
  timeout_ms: z.int().min(1).max(600_000).default(30_000),
});
export type RetryPolicy = z.output<typeof retryPolicySchema>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = retryPolicySchema.parse({});

export interface RetryHooks {
  /** Waits between attempts; replaced in tests so they do not sleep. */
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (info: { error: ConnectorError; attempt: number; delayMs: number }) => void;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delay before attempt `attempt + 1`: doubling from the initial delay, capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.max_delay_ms, policy.initial_delay_ms * 2 ** (attempt - 1));
}

/**
 * Runs `operation` with a timeout per attempt, retrying only errors typed
 * as retriable, at most `max_attempts` times in all. The last error is
 * rethrown as is, so the caller still sees whether it was retriable (worth
 * another go later) or not. On timeout the attempt's signal is aborted so the
 * operation can tear down what it started (e.g. drop its connection), and
 * the next attempt waits for that teardown (up to TEARDOWN_GRACE_MS).
 */
export async function withRetry<T>(
  operation: string,
  run: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  const sleep = hooks.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTimeout(operation, run, policy.timeout_ms);
    } catch (error) {
      const retriable = error instanceof ConnectorError && error.retriable;
      if (!retriable || attempt >= policy.max_attempts) throw error;
      const delayMs = backoffDelay(policy, attempt);
      hooks.onRetry?.({ error, attempt, delayMs });
      await sleep(delayMs);
    }
  }
}

/**
 * How long a timed-out attempt may take to tear down (close its connection,
 * let the target release its locks) before the next attempt starts anyway.
 * Starting earlier could leave the next attempt queued behind the previous one.
 */
export const TEARDOWN_GRACE_MS = 5_000;

const EXPIRED = Symbol('expired');

function timer(ms: number): { promise: Promise<typeof EXPIRED>; cancel: () => void } {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<typeof EXPIRED>((resolve) => {
    handle = setTimeout(() => resolve(EXPIRED), ms);
  });
  return { promise, cancel: () => clearTimeout(handle) };
}

async function withTimeout<T>(operation: string, run: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<T> {
  const controller = new AbortController();
  const work = run(controller.signal);
  const deadline = timer(timeoutMs);
  try {
    const first = await Promise.race([work, deadline.promise]);
    if (first !== EXPIRED) return first;
  } finally {
    deadline.cancel();
  }
  const error = new ConnectorTimeoutError(operation, timeoutMs);
  controller.abort(error);
  const grace = timer(TEARDOWN_GRACE_MS);
  try {
    await Promise.race([work.then(noop, noop), grace.promise]);
  } finally {
    grace.cancel();
  }
  throw error;
}

function noop(): void {}
