import { describe, expect, it } from 'vitest';
import { ConnectorRejectedError, ConnectorTimeoutError, ConnectorUnavailableError } from '../connector.errors.js';
import { backoffDelay, retryPolicySchema, withRetry } from './with-retry.js';

const policy = retryPolicySchema.parse({ max_attempts: 3, initial_delay_ms: 100, max_delay_ms: 250, timeout_ms: 50 });

function recorder() {
  const slept: number[] = [];
  return { slept, hooks: { sleep: async (ms: number) => void slept.push(ms) } };
}

describe('withRetry', () => {
  it('retries retriable errors with capped doubling delays, then succeeds', async () => {
    const { slept, hooks } = recorder();
    let calls = 0;
    const result = await withRetry(
      'op',
      async () => {
        calls += 1;
        if (calls < 3) throw new ConnectorUnavailableError('down');
        return 'ok';
      },
      policy,
      hooks,
    );
    expect({ result, calls, slept }).toEqual({ result: 'ok', calls: 3, slept: [100, 200] });
  });

  it('stops after max_attempts and rethrows the last error, still marked retriable', async () => {
    const { slept, hooks } = recorder();
    let calls = 0;
    const failing = withRetry('op', async () => {
      calls += 1;
      throw new ConnectorUnavailableError(`down ${calls}`);
    }, policy, hooks);
    await expect(failing).rejects.toMatchObject({ code: 'CONNECTOR.UNAVAILABLE', retriable: true, message: 'down 3' });
    expect({ calls, slept }).toEqual({ calls: 3, slept: [100, 200] });
  });

  it('does not retry an error that is not retriable', async () => {
    const { slept, hooks } = recorder();
    let calls = 0;
    const failing = withRetry('op', async () => {
      calls += 1;
      throw new ConnectorRejectedError('permission denied');
    }, policy, hooks);
    await expect(failing).rejects.toBeInstanceOf(ConnectorRejectedError);
    expect({ calls, slept }).toEqual({ calls: 1, slept: [] });
  });

  it('does not retry errors of unknown type', async () => {
    let calls = 0;
    const failing = withRetry('op', async () => {
      calls += 1;
      throw new TypeError('bug');
    }, policy, recorder().hooks);
    await expect(failing).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });

  it('times out each attempt, aborts its signal, and retries the timeout', async () => {
    const aborted: unknown[] = [];
    let calls = 0;
    const result = await withRetry(
      'slow',
      (signal) => {
        calls += 1;
        if (calls === 1) {
          return new Promise<string>((_, reject) => {
            signal.addEventListener('abort', () => {
              aborted.push(signal.reason);
              reject(new Error('torn down'));
            });
          });
        }
        return Promise.resolve('fast enough');
      },
      policy,
      recorder().hooks,
    );
    expect(result).toBe('fast enough');
    expect(calls).toBe(2);
    expect(aborted).toHaveLength(1);
    expect(aborted[0]).toBeInstanceOf(ConnectorTimeoutError);
    expect((aborted[0] as ConnectorTimeoutError).code).toBe('CONNECTOR.TIMEOUT');
  });

  it('lets a timed-out attempt tear down before the next one starts', async () => {
    const log: string[] = [];
    let calls = 0;
    await withRetry(
      'slow',
      (signal) => {
        calls += 1;
        const attempt = calls;
        log.push(`start ${attempt}`);
        if (attempt > 1) return Promise.resolve('ok');
        return new Promise<string>((_, reject) => {
          signal.addEventListener('abort', () => {
            setTimeout(() => {
              log.push(`torn down ${attempt}`);
              reject(new Error('closed'));
            }, 30);
          });
        });
      },
      policy,
      recorder().hooks,
    );
    expect(log).toEqual(['start 1', 'torn down 1', 'start 2']);
  });

  it('computes backoff from the policy parameters', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(policy, a))).toEqual([100, 200, 250, 250]);
  });

  it('has bounded defaults', () => {
    expect(retryPolicySchema.parse({})).toEqual({ max_attempts: 3, initial_delay_ms: 200, max_delay_ms: 5000, timeout_ms: 30000 });
    expect(retryPolicySchema.safeParse({ max_attempts: 0 }).success).toBe(false);
  });
});
