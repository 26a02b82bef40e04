import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('warden serve with bad configuration', () => {
  it('stops before starting anything, naming each bad variable', async () => {
    const failure = await run(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../../apps/warden/src/cli.ts'), 'serve'],
      { env: { PATH: process.env.PATH ?? '', WARDEN_PORT: 'eighty', WARDEN_RETENTION_DAYS: '-1', WARDEN_DATA_DIR: '/nonexistent-warden' } },
    ).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure).not.toBeNull();
    expect(failure?.code).toBe(78);
    expect(failure?.stderr).toMatch(/WARDEN_PORT: .*port/);
    expect(failure?.stderr).toMatch(/WARDEN_RETENTION_DAYS: /);
    expect(failure?.stderr).not.toMatch(/at .*\.ts:\d+/); // a message for an operator, not a stack trace
  });
});
