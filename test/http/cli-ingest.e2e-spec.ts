import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentAction, tempDir, toNdjson } from '@warden/testing';
import { http, type RunningWarden, startWarden, TEST_ADMIN_KEY } from '../support/warden-server.js';

const run = promisify(execFile);
const data = tempDir();
let warden: RunningWarden;

beforeAll(async () => {
  warden = await startWarden({ WARDEN_DATA_DIR: data.path });
});
afterAll(async () => {
  await warden?.close();
  data.cleanup();
});

const cli = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../apps/warden/src/cli.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '', WARDEN_API_KEY: TEST_ADMIN_KEY },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('warden ingest <file.ndjson>', () => {
  it('posts the file and prints accepted, duplicates and each rejected line with its reason', async () => {
    const good = [agentAction({ principal: { id: 'cli-agent' } }), agentAction({ principal: { id: 'cli-agent' } })];
    const bad = { ...agentAction({ principal: { id: 'cli-agent' } }), outcome: 'unknown' };
    const file = join(data.path, 'events.ndjson');
    writeFileSync(file, toNdjson([good[0], bad, good[1], good[0]]));

    const result = await cli(['ingest', file, '--url', warden.url]);
    expect(result.stdout).toContain('accepted 2, duplicates 1, rejected 1');
    expect(result.stdout).toMatch(new RegExp(`line 2 \\(${bad.event_id}\\): outcome: `));
    expect(result.code).toBe(2);
    expect((await http(warden.url).get('/v1/principals/cli-agent/summary')).json.total).toBe(2);
  });

  it('exits non-zero and says why when the file is not NDJSON', async () => {
    const file = join(data.path, 'broken.ndjson');
    writeFileSync(file, '{"event_id":\n');
    const result = await cli(['ingest', file, '--url', warden.url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/400 .*line 1/);
  });
});
