import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '@warden/testing';
import { http, startWarden } from '../support/warden-server.js';

const data = tempDir();
afterAll(() => data.cleanup());

describe('first embedded start with nothing configured', () => {
  it('creates one admin key, keeps it readable by this user only, and does not create another on restart', async () => {
    const env = { WARDEN_DATA_DIR: data.path, WARDEN_BOOTSTRAP_ADMIN_KEY: '' };
    let warden = await startWarden(env);
    const file = join(data.path, 'initial-admin-key');
    const key = readFileSync(file, 'utf8').trim();
    expect(key).toMatch(/^wdn_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await http(warden.url, key).get('/v1/keys')).json.items.map((k: any) => k.role)).toEqual(['admin']);
    await warden.close();

    warden = await startWarden(env);
    try {
      expect((await http(warden.url, key).get('/v1/keys')).json.items).toHaveLength(1);
      expect((await http(warden.url, null).get('/v1/actions')).status).toBe(401);
    } finally {
      await warden.close();
    }
  });
});
