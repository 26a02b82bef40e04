import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentAction, tempDir, toNdjson } from '@warden/testing';
import { http, type RunningWarden, startWarden } from '../support/warden-server.js';

let warden: RunningWarden;
let api: ReturnType<typeof http>;
const data = tempDir();

beforeAll(async () => {
  warden = await startWarden({ WARDEN_DATA_DIR: data.path });
  api = http(warden.url);
});

afterAll(async () => {
  await warden?.close();
  data.cleanup();
});

describe('ingest → query round trip on the embedded engine', () => {
  it('stores valid events and reads them back exactly, by id and by principal', async () => {
    const events = [
      agentAction({ principal: { id: 'rt-agent' }, occurred_at: '2026-11-20T10:00:00.000001+02:00' }),
      agentAction({ principal: { id: 'rt-agent' }, action: { type: 'message.post', name: 'post_forum' }, occurred_at: '2026-11-20T10:00:01Z' }),
    ];
    const posted = await api.postEvents(events);
    expect(posted.status).toBe(202);
    expect(posted.json).toEqual({ accepted: 2, duplicates: 0, rejected: [] });

    const one = await api.get(`/v1/actions/${events[0].event_id}`);
    expect(one.status).toBe(200);
    expect(one.json.event).toEqual({ ...events[0], occurred_at: '2026-11-20T08:00:00.000001Z' });

    const list = await api.get('/v1/actions?principal=rt-agent');
    expect(list.json.items.map((i: { event: { event_id: string } }) => i.event.event_id)).toEqual([events[1].event_id, events[0].event_id]);
    expect(list.json.next_cursor).toBeNull();
  });

  it('accepts NDJSON the same way', async () => {
    const events = [agentAction({ principal: { id: 'ndjson-agent' } }), agentAction({ principal: { id: 'ndjson-agent' } })];
    const posted = await api.post('/v1/events', toNdjson(events), 'application/x-ndjson');
    expect(posted.status).toBe(202);
    expect(posted.json).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect((await api.get('/v1/actions?principal=ndjson-agent')).json.items).toHaveLength(2);
  });
});

describe('idempotency by event_id', () => {
  it('stores an event_id repeated within one batch once and reports the repeat as a duplicate', async () => {
    const e = agentAction({ principal: { id: 'dup-agent-1' } });
    const posted = await api.postEvents([e, e, e]);
    expect(posted.json).toEqual({ accepted: 1, duplicates: 2, rejected: [] });
    expect((await api.get('/v1/actions?principal=dup-agent-1')).json.items).toHaveLength(1);
  });

  it('stores an event_id sent again in a later batch once and reports it as a duplicate', async () => {
    const a = agentAction({ principal: { id: 'dup-agent-2' } });
    const b = agentAction({ principal: { id: 'dup-agent-2' } });
    expect((await api.postEvents([a])).json).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect((await api.postEvents([a, b])).json).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
    const summary = await api.get('/v1/principals/dup-agent-2/summary');
    expect(summary.json.total).toBe(2);
  });

  it('stores one copy when two requests race with the same event', async () => {
    const e = agentAction({ principal: { id: 'dup-agent-3' } });
    const results = await Promise.all([api.postEvents([e]), api.postEvents([e]), api.postEvents([e])]);
    expect(results.map((r) => r.json.accepted).sort()).toEqual([0, 0, 1]);
    expect(results.reduce((n, r) => n + r.json.duplicates, 0)).toBe(2);
    expect((await api.get('/v1/actions?principal=dup-agent-3')).json.items).toHaveLength(1);
  });

  it('answers each of many concurrent, overlapping requests with its own exact counts while storing every event once', async () => {
    // Requests that arrive while a write is in flight are written together; each must still be told what it stored.
    const pool = Array.from({ length: 60 }, () => agentAction({ principal: { id: 'dup-agent-4' } }));
    const requests = Array.from({ length: 12 }, (_, i) => pool.slice(i * 4, i * 4 + 12));
    const results = await Promise.all(requests.map((batch) => api.postEvents(batch)));
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe(202);
      expect(r.json.accepted + r.json.duplicates).toBe(requests[i].length);
    }
    const distinct = new Set(requests.flat().map((e) => e.event_id)).size;
    expect(results.reduce((n, r) => n + r.json.accepted, 0)).toBe(distinct);
    expect((await api.get('/v1/principals/dup-agent-4/summary')).json.total).toBe(distinct);
  });

  it('keeps an event_id reused with a different occurred_at: that is another event, not a redelivery', async () => {
    const first = agentAction({ principal: { id: 'dup-agent-5' }, occurred_at: '2026-11-20T10:00:00Z' });
    const reused = { ...first, occurred_at: '2026-11-21T10:00:00Z' };
    expect((await api.postEvents([first])).json).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect((await api.postEvents([reused])).json).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect((await api.postEvents([first, reused])).json).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    expect((await api.get('/v1/principals/dup-agent-5/summary')).json.total).toBe(2);
    // Both rows are signed, each by the batch that stored it.
    expect((await api.get('/v1/audit/verify')).json).toMatchObject({ ok: true });
  });

  it('tells a reused event_id from a redelivery even when the new batch spans the stored time', async () => {
    const first = agentAction({ principal: { id: 'dup-agent-6' }, occurred_at: '2026-11-20T10:00:00Z' });
    expect((await api.postEvents([first])).json).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    // This batch runs from the 19th to the 21st, across the stored event's time: only the same time makes a duplicate.
    const earlier = agentAction({ principal: { id: 'dup-agent-6' }, occurred_at: '2026-11-19T10:00:00Z' });
    const reused = { ...first, occurred_at: '2026-11-21T10:00:00Z' };
    expect((await api.postEvents([earlier, reused])).json).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect((await api.postEvents([earlier, first])).json).toEqual({ accepted: 0, duplicates: 2, rejected: [] });
    expect((await api.get('/v1/principals/dup-agent-6/summary')).json.total).toBe(3);
    expect((await api.get('/v1/audit/verify')).json).toMatchObject({ ok: true });
  });
});

describe('invalid events are reported and kept, never dropped', () => {
  it('stores the valid events of a mixed batch and reports each invalid one by index with its paths', async () => {
    const good = agentAction({ principal: { id: 'mixed-agent' } });
    const bad = { ...agentAction({ principal: { id: 'mixed-agent' } }), outcome: 'maybe' };
    const foreign = agentAction({ principal: { id: 'mixed-agent' }, tenant: 'someone-else' });
    const posted = await api.postEvents([bad, good, 'not an object', foreign]);
    expect(posted.status).toBe(202);
    expect(posted.json.accepted).toBe(1);
    expect(posted.json.rejected).toEqual([
      { index: 0, event_id: bad.event_id, errors: [{ path: 'outcome', message: expect.any(String) }] },
      { index: 2, errors: [{ path: '', message: expect.any(String) }] },
      { index: 3, event_id: foreign.event_id, errors: [{ path: 'tenant', message: expect.stringMatching(/default/) }] },
    ]);

    const kept = await api.get('/v1/rejected-events?limit=10');
    const mine = kept.json.items.filter((r: { event_id: string | null; raw: string }) =>
      [bad.event_id, foreign.event_id].includes(r.event_id ?? '') || r.raw === '"not an object"',
    );
    expect(mine).toHaveLength(3);
    const badRow = mine.find((r: { event_id: string }) => r.event_id === bad.event_id);
    expect(JSON.parse(badRow.raw)).toEqual(bad);
    expect(badRow.errors).toEqual([{ path: 'outcome', message: expect.any(String) }]);
    expect(badRow.transport).toBe('http');
  });
});

describe('keyset pagination', () => {
  it('pages 2,500 events 100 at a time with no gaps or repeats while new events arrive', async () => {
    const principal = 'pager-agent';
    const base = Date.UTC(2026, 9, 1);
    const originals = Array.from({ length: 2500 }, (_, i) =>
      agentAction({
        principal: { id: principal },
        // Pairs share a timestamp so the event_id tie-break is exercised.
        occurred_at: new Date(base + Math.floor(i / 2) * 1000).toISOString(),
      }),
    );
    for (let i = 0; i < originals.length; i += 1000) {
      expect((await api.postEvents(originals.slice(i, i + 1000))).json.accepted).toBe(Math.min(1000, originals.length - i));
    }

    const seen: string[] = [];
    const times: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; json: any } = await api.get(
        `/v1/actions?principal=${principal}&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      for (const item of page.json.items) {
        seen.push(item.event.event_id);
        times.push(item.event.occurred_at);
      }
      cursor = page.json.next_cursor;
      pages++;
      // New activity arrives between pages: newer than everything, and inside the range already paged.
      await api.postEvents([
        agentAction({ principal: { id: principal }, occurred_at: new Date(base + 10_000_000 + pages * 1000).toISOString() }),
      ]);
    } while (cursor !== null);

    const originalIds = new Set(originals.map((e) => e.event_id));
    const seenOriginals = seen.filter((id) => originalIds.has(id));
    expect(seenOriginals).toHaveLength(2500);
    expect(new Set(seenOriginals).size).toBe(2500);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBe(25);
    const sorted = [...times].sort().reverse();
    expect(times).toEqual(sorted);
  });
});

describe('filters', () => {
  const P = 'filter-agent';
  const events = [
    agentAction({ principal: { id: P }, agent: { id: 'bot-a' }, action: { type: 'permission.grant' }, resource: { type: 'drive.folder', id: 'f1', sensitivity: 'restricted' }, occurred_at: '2026-08-01T00:00:00Z' }),
    agentAction({ principal: { id: P }, agent: { id: 'bot-a' }, action: { type: 'permission.revoke' }, resource: { type: 'drive.folder', id: 'f2', sensitivity: 'internal' }, outcome: 'denied', occurred_at: '2026-08-02T00:00:00Z' }),
    agentAction({ principal: { id: P }, agent: { id: 'bot-b' }, action: { type: 'permission_audit.read' }, resource: { type: 'audit.log', id: 'l1' }, occurred_at: '2026-08-03T00:00:00Z' }),
    agentAction({ principal: { id: P }, agent: { id: 'bot-b' }, action: { type: 'data.read' }, resource: { type: 'crm.record', id: 'f1', sensitivity: 'confidential' }, outcome: 'failure', occurred_at: '2026-08-04T00:00:00Z' }),
  ];
  const ids = (json: { items: { event: { event_id: string } }[] }) => json.items.map((i) => i.event.event_id).sort();
  const pick = (...n: number[]) => n.map((i) => events[i].event_id).sort();

  beforeAll(async () => {
    expect((await api.postEvents(events)).json.accepted).toBe(4);
  });

  it.each([
    ['agent=bot-a', [0, 1]],
    ['action=permission.grant', [0]],
    ['action=permission.', [0, 1]],
    ['resource_type=drive.folder', [0, 1]],
    ['resource_id=f1', [0, 3]],
    ['outcome=denied', [1]],
    ['outcome=failure', [3]],
    ['sensitivity=restricted', [0]],
    ['from=2026-08-02T00:00:00Z', [1, 2, 3]],
    ['to=2026-08-02T00:00:00Z', [0]],
    ['from=2026-08-02T00:00:00%2B02:00&to=2026-08-03T00:00:00.000001Z', [1, 2]],
    ['agent=bot-b&sensitivity=confidential', [3]],
  ])('%s selects exactly the matching events', async (query, expected) => {
    const res = await api.get(`/v1/actions?principal=${P}&${query}`);
    expect(res.status).toBe(200);
    expect(ids(res.json)).toEqual(pick(...(expected as number[])));
  });

  it('summarises a principal: total, counts by action type, first and last seen, distinct resources', async () => {
    const res = await api.get(`/v1/principals/${P}/summary`);
    expect(res.json).toEqual({
      principal: P,
      total: 4,
      by_action_type: { 'data.read': 1, 'permission.grant': 1, 'permission.revoke': 1, 'permission_audit.read': 1 },
      first_seen: '2026-08-01T00:00:00Z',
      last_seen: '2026-08-04T00:00:00Z',
      distinct_resources: 4,
    });
  });

  it('treats a filter value as data, never as SQL', async () => {
    const res = await api.get(`/v1/actions?principal=${encodeURIComponent("x' OR 1=1 --")}`);
    expect(res.status).toBe(200);
    expect(res.json.items).toEqual([]);
  });
});

describe('HTTP errors are problem+json with a specific reason', () => {
  const expectProblem = (res: { status: number; contentType: string; json: any }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({ status, code, title: expect.any(String), type: expect.any(String) });
  };

  it('malformed JSON → 400 naming the offset', async () => {
    const res = await api.post('/v1/events', '[{"event_id": "a",}]');
    expectProblem(res, 400, 'REQUEST.MALFORMED_JSON');
    expect(res.json.offset).toBe(18);
  });

  it('malformed NDJSON → 400 naming the line', async () => {
    const res = await api.post('/v1/events', `${JSON.stringify(agentAction())}\n{oops}\n`, 'application/x-ndjson');
    expectProblem(res, 400, 'INGEST.MALFORMED_JSON');
    expect(res.json.line).toBe(2);
  });

  it('a body over 8 MiB → 413', async () => {
    const res = await api.post('/v1/events', `[${' '.repeat(8 * 1024 * 1024)}]`);
    expectProblem(res, 413, 'REQUEST.TOO_LARGE');
  });

  it('more than 10,000 events → 413', async () => {
    const res = await api.post('/v1/events', JSON.stringify(new Array(10_001).fill(0)));
    expectProblem(res, 413, 'INGEST.BATCH_TOO_LARGE');
  });

  it('a body that is not an array → 400', async () => {
    expectProblem(await api.post('/v1/events', JSON.stringify(agentAction())), 400, 'INGEST.NOT_AN_ARRAY');
  });

  it.each(['text/plain', 'application/xml'])('content type %s → 415', async (type) => {
    expectProblem(await api.post('/v1/events', '[]', type), 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['outcome=maybe', 'outcome'],
    ['sensitivity=secret', 'sensitivity'],
    ['from=yesterday', 'from'],
    ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ['action=Permission', 'action'],
    ['principle=typo', 'principle'],
  ])('invalid filter %s → 400 naming %s', async (query, path) => {
    const res = await api.get(`/v1/actions?${query}`);
    expectProblem(res, 400, 'REQUEST.INVALID');
    expect(res.json.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('a cursor the server did not issue → 400', async () => {
    expectProblem(await api.get('/v1/actions?cursor=bm90LWEtY3Vyc29y'), 400, 'QUERY.INVALID_CURSOR');
  });

  it('an unknown event or principal → 404', async () => {
    expectProblem(await api.get('/v1/actions/no-such-event'), 404, 'NOT_FOUND');
    expectProblem(await api.get('/v1/principals/nobody/summary'), 404, 'NOT_FOUND');
  });
});

describe('service endpoints', () => {
  it('answers liveness and readiness', async () => {
    expect((await api.get('/healthz')).json).toEqual({ status: 'ok' });
    expect((await api.get('/readyz')).json).toEqual({ status: 'ready', checks: { storage: 'ok' } });
  });

  it('publishes the contract as JSON Schema and the API as OpenAPI', async () => {
    const schema = await api.get('/v1/schema');
    expect(schema.json.$id).toBe('urn:warden:schema:agent-action:v1');
    expect(schema.json.required).toContain('event_id');
    const openapi = await api.get('/docs/json');
    expect(Object.keys(openapi.json.paths)).toEqual(
      expect.arrayContaining(['/v1/events', '/v1/actions', '/v1/actions/{event_id}', '/v1/principals/{id}/summary', '/v1/schema']),
    );
  });

  it('refuses /v1 without a valid credential, with a problem body that says nothing about what exists', async () => {
    for (const key of [null, 'anything', 'wdn_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const res = await http(warden.url, key).get('/v1/actions?limit=1');
      expect(res.status).toBe(401);
      expect(res.json).toMatchObject({ code: 'AUTH.UNAUTHENTICATED' });
    }
  });
});
