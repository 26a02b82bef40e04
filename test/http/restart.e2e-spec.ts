import { afterAll, describe, expect, it } from 'vitest';
import { agentAction, tempDir } from '@warden/testing';
import { http, startWarden } from '../support/warden-server.js';

const data = tempDir();
afterAll(() => data.cleanup());

describe('durability across restarts', () => {
  it('keeps stored events, and their idempotency, after the app is stopped and started on the same data dir', async () => {
    const events = Array.from({ length: 50 }, () => agentAction({ principal: { id: 'restart-agent' } }));
    const first = await startWarden({ WARDEN_DATA_DIR: data.path });
    expect((await http(first.url).postEvents(events)).json.accepted).toBe(50);
    await first.close();

    const second = await startWarden({ WARDEN_DATA_DIR: data.path });
    try {
      const api = http(second.url);
      expect((await api.get('/v1/principals/restart-agent/summary')).json.total).toBe(50);
      expect((await api.postEvents(events)).json).toEqual({ accepted: 0, duplicates: 50, rejected: [] });
      expect((await api.get('/v1/principals/restart-agent/summary')).json.total).toBe(50);
    } finally {
      await second.close();
    }
  });
});
