import { describe, expect, it } from 'vitest';
import { backoffDelay, retry } from './retry.js';

const policy = { initialMs: 100, maxMs: 1000 };
class Transient extends Error {}

describe('backoff', () => {
  it('doubles from the initial delay and stops at the cap, with jitter in the upper half', () => {
    expect([1, 2, 3, 4, 5, 10].map((n) => backoffDelay(n, policy, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 5].map((n) => backoffDelay(n, policy, () => 0))).toEqual([50, 100, 500]);
  });
});

describe('retry', () => {
  it('retries retriable errors until the task succeeds, waiting the backoff between attempts', async () => {
    const waits: number[] = [];
    let calls = 0;
    const recovered: number[] = [];
    const value = await retry({
      policy,
      isRetriable: (e) => e instanceof Transient,
      sleep: async (ms) => {
        waits.push(ms);
      },
      onRecovered: (n) => {
        recovered.push(n);
      },
      task: async () => {
        calls++;
        if (calls < 4) throw new Transient('down');
        return 'stored';
      },
    });
    expect(value).toBe('stored');
    expect(calls).toBe(4);
    expect(waits).toHaveLength(3);
    expect(waits.every((w, i) => w >= policy.initialMs * 2 ** i / 2 && w <= policy.initialMs * 2 ** i)).toBe(true);
    expect(recovered).toEqual([4]);
  });

  it('rethrows a non-retriable error at once', async () => {
    let calls = 0;
    await expect(
      retry({ policy, isRetriable: (e) => e instanceof Transient, sleep: async () => {}, task: async () => {
        calls++;
        throw new TypeError('bug');
      } }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });

  it('honours maxAttempts', async () => {
    let calls = 0;
    await expect(
      retry({ policy, maxAttempts: 3, isRetriable: () => true, sleep: async () => {}, task: async () => {
        calls++;
        throw new Transient('down');
      } }),
    ).rejects.toBeInstanceOf(Transient);
    expect(calls).toBe(3);
  });

  it('gives up when told to stop (shutdown) and rethrows the last error', async () => {
    let running = true;
    let calls = 0;
    await expect(
      retry({ policy, isRetriable: () => true, shouldContinue: () => running, sleep: async () => {
        running = false;
      }, task: async () => {
        calls++;
        throw new Transient('down');
      } }),
    ).rejects.toBeInstanceOf(Transient);
    expect(calls).toBe(1);
  });
});
