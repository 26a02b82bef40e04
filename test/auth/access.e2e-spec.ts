import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Permission, ROLE_PERMISSIONS, type Role } from '@warden/auth';
import { agentAction, tempDir } from '@warden/testing';
import { http, type RunningWarden, startWarden } from '../support/warden-server.js';

const data = tempDir();
let warden: RunningWarden;
let jwks: Server;
let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const ISSUER = 'https://sso.test.local';
const keys: Record<string, Record<Role, string>> = {};

/** Every /v1 route, with the one permission it needs. The matrix below is generated from this table. */
const ROUTES: { method: 'GET' | 'POST' | 'DELETE'; path: string; body?: unknown; permission: Permission }[] = [
  { method: 'POST', path: '/v1/events', body: [], permission: 'events:write' },
  { method: 'GET', path: '/v1/schema', permission: 'schema:read' },
  { method: 'GET', path: '/v1/actions', permission: 'history:read' },
  { method: 'GET', path: '/v1/actions/some-event', permission: 'history:read' },
  { method: 'GET', path: '/v1/principals/some-agent/summary', permission: 'history:read' },
  { method: 'GET', path: '/v1/rejected-events', permission: 'history:read' },
  { method: 'GET', path: '/v1/ingest/metrics', permission: 'history:read' },
  { method: 'GET', path: '/v1/detections', permission: 'history:read' },
  { method: 'GET', path: `/v1/detections/${'0'.repeat(32)}`, permission: 'history:read' },
  { method: 'GET', path: '/v1/rules', permission: 'history:read' },
  { method: 'POST', path: `/v1/detections/${'0'.repeat(32)}/resolve`, permission: 'response:act' },
  { method: 'POST', path: '/v1/rules/reload', permission: 'admin' },
  { method: 'GET', path: '/v1/alerts/status', permission: 'history:read' },
  { method: 'POST', path: '/v1/containments', body: { principal: 'p', reason: 'matrix', preview: true }, permission: 'response:act' },
  { method: 'GET', path: '/v1/containments', permission: 'history:read' },
  { method: 'GET', path: '/v1/containments/automation', permission: 'history:read' },
  { method: 'GET', path: `/v1/containments/ctn_${'0'.repeat(32)}`, permission: 'history:read' },
  { method: 'POST', path: `/v1/containments/ctn_${'0'.repeat(32)}/rollback`, body: { reason: 'matrix' }, permission: 'response:act' },
  { method: 'POST', path: `/v1/containments/ctn_${'0'.repeat(32)}/retry`, body: { reason: 'matrix' }, permission: 'response:act' },
  { method: 'GET', path: '/v1/connectors', permission: 'history:read' },
  { method: 'POST', path: '/v1/permission-changes/some-event/revert', body: { reason: 'matrix' }, permission: 'response:act' },
  { method: 'GET', path: '/v1/permission-changes/some-event/revert', permission: 'history:read' },
  { method: 'GET', path: '/v1/audit/verify', permission: 'history:read' },
  { method: 'POST', path: '/v1/keys', body: { role: 'analyst', name: 'matrix' }, permission: 'admin' },
  { method: 'GET', path: '/v1/keys', permission: 'admin' },
  { method: 'DELETE', path: '/v1/keys/000000000000', permission: 'admin' },
  { method: 'GET', path: '/v1/audit/log', permission: 'admin' },
];
const ROLES: Role[] = ['ingest', 'analyst', 'responder', 'admin'];

async function request(method: string, path: string, key: string | null, body?: unknown) {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, warden.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json().catch(() => null)) as any, headers: res.headers };
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const address = jwks.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  warden = await startWarden({
    WARDEN_DATA_DIR: join(data.path, 'store'),
    WARDEN_OIDC_ISSUER: ISSUER,
    WARDEN_OIDC_AUDIENCE: 'warden',
    WARDEN_OIDC_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
    WARDEN_RATE_LIMIT_PER_MINUTE: '1000',
  });
  const admin = http(warden.url);
  for (const tenant of ['default', 'acme']) {
    keys[tenant] = {} as Record<Role, string>;
    for (const role of ROLES) {
      const created = await admin.post('/v1/keys', JSON.stringify({ role, name: `${tenant}-${role}`, tenant }));
      expect(created.status).toBe(201);
      keys[tenant][role] = created.json.key;
    }
  }
});

afterAll(async () => {
  await warden?.close();
  await new Promise((r) => jwks.close(r));
  data.cleanup();
});

const jwt = (claims: Record<string, unknown>, audience = 'warden') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'test-key' }).setIssuer(ISSUER).setAudience(audience).setSubject('alice@example.com').setIssuedAt().setExpirationTime('5m').sign(signingKey);

describe('authorisation matrix: every role against every route', () => {
  const cases = ROUTES.flatMap((route) => [
    ...ROLES.map((role) => ({ route, role: role as Role | 'none', expected: ROLE_PERMISSIONS[role].includes(route.permission) ? 'allowed' : 403 })),
    { route, role: 'none' as const, expected: 401 },
  ]);
  it.each(cases.map((c) => [`${c.route.method} ${c.route.path}`, c.role, c.expected, c.route] as const))('%s as %s → %s', async (_name, role, expected, route) => {
    const res = await request(route.method, route.path, role === 'none' ? null : keys.acme[role], route.body);
    if (expected === 'allowed') expect([401, 403]).not.toContain(res.status);
    else {
      expect(res.status).toBe(expected);
      expect(res.json).toMatchObject({ status: expected, code: expected === 401 ? 'AUTH.UNAUTHENTICATED' : 'AUTH.FORBIDDEN' });
    }
  });
});

describe('tenant isolation', () => {
  it('a key of tenant A can neither read nor contain anything of tenant B, by any route', async () => {
    const theirs = agentAction({ tenant: 'default', principal: { id: 'default-only-agent' } });
    expect((await request('POST', '/v1/events', keys.default.admin, [theirs])).json.accepted).toBe(1);
    const mine = agentAction({ tenant: 'default', principal: { id: 'default-only-agent' } });
    // The tenant comes from the credential: an acme key cannot write into default's log.
    const forged = await request('POST', '/v1/events', keys.acme.ingest, [mine]);
    expect(forged.json).toMatchObject({ accepted: 0, rejected: [{ index: 0, errors: [{ path: 'tenant' }] }] });

    const acme = keys.acme.admin;
    expect((await request('GET', `/v1/actions/${theirs.event_id}`, acme)).status).toBe(404);
    expect((await request('GET', '/v1/actions?principal=default-only-agent', acme)).json.items).toEqual([]);
    expect((await request('GET', '/v1/principals/default-only-agent/summary', acme)).status).toBe(404);
    expect((await request('GET', '/v1/detections?principal=default-only-agent', acme)).json.items).toEqual([]);
    expect((await request('GET', '/v1/keys', acme)).json.items.every((k: any) => k.tenant === 'acme')).toBe(true);
    expect((await request('GET', '/v1/principals/default-only-agent/summary', keys.default.analyst)).json.total).toBe(1);
  });

  it("an admin of another tenant cannot mint keys for the operator's tenant", async () => {
    const res = await request('POST', '/v1/keys', keys.acme.admin, { role: 'admin', name: 'escalate', tenant: 'default' });
    expect(res.status).toBe(403);
  });
});

describe('API keys', () => {
  it('shows a key once, lists it by prefix only, and refuses it once revoked', async () => {
    const created = await request('POST', '/v1/keys', keys.acme.admin, { role: 'analyst', name: 'temp' });
    expect(created.json.key).toMatch(/^wdn_[0-9a-f]{12}_/);
    const listed = (await request('GET', '/v1/keys', keys.acme.admin)).json.items.find((k: any) => k.id === created.json.id);
    expect(listed).toMatchObject({ prefix: `wdn_${created.json.id}_`, role: 'analyst', revoked_at: null });
    expect(JSON.stringify(listed)).not.toContain(created.json.key.slice(17));
    expect((await request('GET', '/v1/actions', created.json.key)).status).toBe(200);
    expect((await request('DELETE', `/v1/keys/${created.json.id}`, keys.acme.admin)).status).toBe(200);
    expect((await request('GET', '/v1/actions', created.json.key)).status).toBe(401);
  });
});

describe('SSO', () => {
  it('accepts a JWT from the configured issuer, with tenant and role from its claims', async () => {
    const token = await jwt({ warden_tenant: 'acme', warden_role: 'analyst' });
    expect((await request('GET', '/v1/actions', token)).status).toBe(200);
    expect((await request('POST', '/v1/containments', token, { principal: 'p', reason: 'x', preview: true })).status).toBe(403);
  });

  it('refuses a JWT for another audience, without a role, or signed by someone else', async () => {
    expect((await request('GET', '/v1/actions', await jwt({ warden_tenant: 'acme', warden_role: 'analyst' }, 'other-app'))).status).toBe(401);
    expect((await request('GET', '/v1/actions', await jwt({ warden_tenant: 'acme' }))).status).toBe(401);
    const stranger = await generateKeyPair('ES256');
    const forged = await new SignJWT({ warden_tenant: 'acme', warden_role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' }).setIssuer(ISSUER).setAudience('warden').setSubject('mallory').setExpirationTime('5m').sign(stranger.privateKey);
    expect((await request('GET', '/v1/actions', forged)).status).toBe(401);
  });
});

describe('audit', () => {
  it('records each state-changing call once, with the right actor, role, route and address; refused calls too', async () => {
    const responder = (await request('POST', '/v1/keys', keys.acme.admin, { role: 'responder', name: 'audit-responder' })).json.key as string;
    const key = await request('POST', '/v1/keys', keys.acme.admin, { role: 'ingest', name: 'audited' });
    await request('POST', '/v1/containments', responder, { principal: 'audited-agent', reason: 'look first', preview: true });
    const analyst = (await request('POST', '/v1/keys', keys.acme.admin, { role: 'analyst', name: 'audit-analyst' })).json.key as string;
    await request('POST', '/v1/rules/reload', analyst);
    const log = (await request('GET', '/v1/audit/log?limit=50', keys.acme.admin)).json.items as any[];
    const keyCreation = log.filter((r) => r.route === '/v1/keys' && r.method === 'POST' && r.status === 201 && r.request_id);
    expect(keyCreation.some((r) => r.actor === `key:${keys.acme.admin.slice(4, 16)}` && r.role === 'admin' && r.ip === '127.0.0.1')).toBe(true);
    expect(log.filter((r) => r.route === '/v1/containments' && r.actor === `key:${responder.slice(4, 16)}`)).toHaveLength(1);
    expect(log.filter((r) => r.route === '/v1/rules/reload' && r.status === 403 && r.actor === `key:${analyst.slice(4, 16)}`)).toHaveLength(1);
    expect(key.status).toBe(201);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After and a problem body past the per-key limit', async () => {
    const limited = await startLimited();
    try {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof request>> | undefined;
      for (let i = 0; i < 7; i++) {
        last = await fetchAs(limited.url, '/v1/schema');
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last?.json).toMatchObject({ status: 429, code: 'REQUEST.RATE_LIMITED' });
    } finally {
      await limited.close();
    }
  });
});

// A second app on another data dir would need a second embedded engine in this process; instead the
// limit is checked on a fresh in-process app after closing the main one's listener is not needed:
// Fastify's limiter is per app, so a small dedicated app is started on the same data dir sequence.
async function startLimited(): Promise<RunningWarden> {
  await warden.close();
  warden = await startWarden({ WARDEN_DATA_DIR: join(data.path, 'store'), WARDEN_RATE_LIMIT_PER_MINUTE: '5' });
  return warden;
}
async function fetchAs(base: string, path: string) {
  const res = await fetch(new URL(path, base), { headers: { authorization: `Bearer ${keys.acme.analyst}` } });
  return { status: res.status, json: (await res.json().catch(() => null)) as any, headers: res.headers };
}
