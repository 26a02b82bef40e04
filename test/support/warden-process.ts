import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ADMIN_AUTH, TEST_ADMIN_KEY } from './warden-server.js';

const CLI = join(import.meta.dirname, '../../apps/warden/src/cli.ts');

export interface WardenProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
  kill: (signal: NodeJS.Signals) => Promise<number | string>;
}

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs `warden serve` as a separate OS process (so it can be SIGKILLed), and waits until it is ready. */
export async function spawnWarden(env: Record<string, string>, logFile: string): Promise<WardenProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
    env: { PATH: process.env.PATH ?? '', WARDEN_LOG_LEVEL: 'info', WARDEN_BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY, ...env, WARDEN_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  for (;;) {
    if (ended) throw new Error(`warden exited before it was ready (exit ${await exited}); see ${logFile}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`warden did not become ready in 90 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    child,
    exited,
    kill: (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

/** Polls until `check` returns true, or fails with the last observed value. */
export async function eventually<T>(
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  { timeoutMs = 120_000, intervalMs = 250, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (check(last)) return last;
    } catch (error) {
      // A bug in the probe is not "not yet": fail at once instead of timing out.
      const bug = error instanceof ReferenceError || error instanceof SyntaxError || (error instanceof TypeError && error.message !== 'fetch failed');
      if (bug) throw error;
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** GET a JSON document from a Warden process as the test admin. */
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: ADMIN_AUTH });
  return (await response.json()) as T;
}
