import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortAccessItems } from '../access-item.js';
import { scimConnectorConfigSchema } from './scim.config.js';
import { ScimConnector } from './scim.connector.js';
import type { ScimAccessItem } from './scim.items.js';
import { startScimTestServer, type ScimTestServer } from './testing/scim-test-server.js';

/**
 * Against a real SCIM 2.0 service provider: SCIMMY's User and Group resources
 * behind scimmy-routers (express 5), in memory, on 127.0.0.1. The test sets
 * the server up and checks it through plain SCIM HTTP calls of its own, not
 * through the connector.
 */
const TOKEN = `token-${randomUUID()}`;
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let server: ScimTestServer;

/** A SCIM call as any client would make it; fails the test on an unexpected status. */
async function scim(method: string, path: string, body?: unknown, expectStatus?: number): Promise<any> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (expectStatus !== undefined) expect(response.status, `${method} ${path}: ${text}`).toBe(expectStatus);
  else expect(response.ok, `${method} ${path}: ${response.status} ${text}`).toBe(true);
  return text === '' ? undefined : JSON.parse(text);
}

async function createUser(userName: string, active = true): Promise<string> {
  return (await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName, active, displayName: `Agent ${userName}` })).id;
}

async function createGroup(displayName: string, memberIds: string[]): Promise<string> {
  return (await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName, members: memberIds.map((value) => ({ value })) })).id;
}

async function membersOf(groupId: string): Promise<string[]> {
  return ((await scim('GET', `/Groups/${groupId}`)).members ?? []).map((m: { value: string }) => m.value).sort();
}

/** The server's view: is the user active, and which groups list it as a member. */
async function serverState(userId: string): Promise<{ active: boolean; groups: string[] }> {
  const user = await scim('GET', `/Users/${userId}`);
  const groups = await scim('GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${userId}"`)}&count=1000`);
  return { active: user.active, groups: groups.Resources.map((g: { id: string }) => g.id).sort() };
}

const connectorConfig = (overrides: Record<string, unknown> = {}) =>
  scimConnectorConfigSchema.parse({
    kind: 'scim',
    name: 'scim-test',
    base_url: server.baseUrl,
    bearer_token: TOKEN,
    identity: { template: 'agent-{principal}@example.com' },
    retry: { max_attempts: 3, initial_delay_ms: 10, timeout_ms: 10_000 },
    ...overrides,
  });

const membership = (group_id: string): ScimAccessItem => ({ kind: 'scim.group', group_id });
const ACTIVE: ScimAccessItem = { kind: 'scim.active' };

beforeAll(async () => {
  server = await startScimTestServer({ token: TOKEN });
});

afterAll(async () => {
  await server?.close();
});

describe('ScimConnector', () => {
  it('snapshots, revokes and restores a user in 5 groups exactly', async () => {
    const connector = new ScimConnector(connectorConfig());
    const principal = { tenant: 'acme', id: 'support' };
    const agentId = await createUser('agent-support@example.com');
    const bystanderId = await createUser('person@example.com');
    const groups = [];
    for (const name of ['sales', 'support', 'billing', 'oncall', 'readers']) groups.push(await createGroup(name, [agentId, bystanderId]));
    const otherGroup = await createGroup('admins', [bystanderId]);

    // ── snapshot ──
    const before = await connector.snapshot(principal);
    expect(before).toEqual(sortAccessItems([ACTIVE, ...groups.map(membership)]));
    expect(before).toHaveLength(6);

    // ── revoke: inactive on the server and in no group; the bystander keeps every membership ──
    const revoked = await connector.revoke(principal, before);
    expect(revoked).toEqual({ applied: before, failed: [] });
    expect(await serverState(agentId)).toEqual({ active: false, groups: [] });
    for (const group of groups) expect(await membersOf(group)).toEqual([bystanderId]);
    expect(await membersOf(otherGroup)).toEqual([bystanderId]);
    expect(await serverState(bystanderId)).toEqual({ active: true, groups: [...groups, otherGroup].sort() });
    expect(await connector.snapshot(principal)).toEqual([]);
    expect(await connector.verify(principal, [])).toEqual({ matches: true, missing: [], unexpected: [] });

    // ── restore: exactly the snapshot, item by item ──
    const restored = await connector.restore(principal, before);
    expect(restored).toEqual({ applied: before, failed: [] });
    const after = await connector.snapshot(principal);
    expect(after).toEqual(before);
    expect(after.map((item, i) => [item, before[i]])).toEqual(before.map((item) => [item, item]));
    expect(await serverState(agentId)).toEqual({ active: true, groups: [...groups].sort() });
    for (const group of groups) expect(await membersOf(group)).toEqual([agentId, bystanderId].sort());
    expect(await membersOf(otherGroup)).toEqual([bystanderId]);
  });

  it('repeats a revoke or a restore without sending anything, so no member is ever added twice', async () => {
    const connector = new ScimConnector(connectorConfig());
    const principal = { tenant: 'acme', id: 'repeat' };
    const agentId = await createUser('agent-repeat@example.com');
    const groups = [await createGroup('repeat-a', [agentId]), await createGroup('repeat-b', [agentId])];
    const before = await connector.snapshot(principal);

    await connector.revoke(principal, before);
    const sentBefore = server.requests.filter((r) => r.method === 'PATCH').length;
    expect(await connector.revoke(principal, before)).toEqual({ applied: before, failed: [] });
    await connector.restore(principal, before);
    const sentAfterRestore = server.requests.filter((r) => r.method === 'PATCH').length;
    expect(await connector.restore(principal, before)).toEqual({ applied: before, failed: [] });
    expect(server.requests.filter((r) => r.method === 'PATCH').length).toBe(sentAfterRestore);
    expect(sentAfterRestore - sentBefore).toBe(3); // the first restore: two adds and the activation; the repeated revoke sent none
    for (const group of groups) expect(await membersOf(group)).toEqual([agentId]);
  });

  it('restores only what the snapshot holds: an inactive user stays inactive, other groups are not joined', async () => {
    const connector = new ScimConnector(connectorConfig());
    const principal = { tenant: 'acme', id: 'dormant' };
    const agentId = await createUser('agent-dormant@example.com', false);
    const group = await createGroup('dormant-a', [agentId]);
    const before = await connector.snapshot(principal);
    expect(before).toEqual([membership(group)]);

    await connector.revoke(principal, before);
    const joinedMeanwhile = await createGroup('dormant-b', [agentId]);
    expect(await connector.restore(principal, before)).toEqual({ applied: before, failed: [] });
    expect(await serverState(agentId)).toEqual({ active: false, groups: [group, joinedMeanwhile].sort() });
    expect(await connector.verify(principal, before)).toEqual({ matches: false, missing: [], unexpected: [membership(joinedMeanwhile)] });
  });

  it('reports a group deleted since the snapshot as failed, and restores the rest', async () => {
    const connector = new ScimConnector(connectorConfig());
    const principal = { tenant: 'acme', id: 'orphan' };
    const agentId = await createUser('agent-orphan@example.com');
    const kept = await createGroup('orphan-kept', [agentId]);
    const doomed = await createGroup('orphan-doomed', [agentId]);
    const before = await connector.snapshot(principal);
    await connector.revoke(principal, before);
    await scim('DELETE', `/Groups/${doomed}`, undefined, 204);

    const restored = await connector.restore(principal, before);
    expect(restored.applied).toEqual(sortAccessItems([ACTIVE, membership(kept)]));
    expect(restored.failed).toEqual([
      {
        item: membership(doomed),
        error: { code: 'CONNECTOR.REJECTED', message: `scim-test.restore: PATCH /Groups/${doomed}: HTTP 404: Resource ${doomed} not found` },
      },
    ]);
    expect(await serverState(agentId)).toEqual({ active: true, groups: [kept] });
  });

  it('lists memberships page by page', async () => {
    const connector = new ScimConnector(connectorConfig({ page_size: 10 }));
    const principal = { tenant: 'acme', id: 'busy' };
    const agentId = await createUser('agent-busy@example.com');
    const groups = [];
    for (let i = 0; i < 25; i++) groups.push(await createGroup(`busy-${i}`, [agentId]));
    const pagesBefore = server.requests.filter((r) => r.path.startsWith('/Groups?')).length;

    const before = await connector.snapshot(principal);
    expect(before).toEqual(sortAccessItems([ACTIVE, ...groups.map(membership)]));
    expect(server.requests.filter((r) => r.path.startsWith('/Groups?')).length - pagesBefore).toBe(3);
    expect(await connector.revoke(principal, before)).toEqual({ applied: before, failed: [] });
    expect(await serverState(agentId)).toEqual({ active: false, groups: [] });
    expect(await connector.restore(principal, before)).toEqual({ applied: before, failed: [] });
    expect(await connector.snapshot(principal)).toEqual(before);
  });

  it('retries a 503 and succeeds; does not retry a 400', async () => {
    const retries: string[] = [];
    const connector = new ScimConnector(connectorConfig(), { onRetry: ({ error }) => void retries.push(error.code) });
    const principal = { tenant: 'acme', id: 'flaky' };
    const agentId = await createUser('agent-flaky@example.com');
    const group = await createGroup('flaky-a', [agentId]);

    server.failNext(503);
    expect(await connector.snapshot(principal)).toEqual(sortAccessItems([ACTIVE, membership(group)]));
    expect(retries).toEqual(['CONNECTOR.UNAVAILABLE']);

    server.failNext(400);
    await expect(connector.snapshot(principal)).rejects.toMatchObject({
      code: 'CONNECTOR.REJECTED',
      retriable: false,
      metadata: { status: 400 },
    });
    expect(retries).toEqual(['CONNECTOR.UNAVAILABLE']);
  });

  it('times out a request the server holds too long, and retries it', async () => {
    const retries: string[] = [];
    const connector = new ScimConnector(connectorConfig({ request_timeout_ms: 200 }), { onRetry: ({ error }) => void retries.push(error.code) });
    const principal = { tenant: 'acme', id: 'slow' };
    await createUser('agent-slow@example.com');
    server.delayNext(1_000);
    expect(await connector.snapshot(principal)).toEqual([ACTIVE]);
    expect(retries).toEqual(['CONNECTOR.TIMEOUT']);
  });

  it('refuses a wrong token, an unknown user, and items of another connector', async () => {
    const principal = { tenant: 'acme', id: 'support' };
    const wrongToken = new ScimConnector(connectorConfig({ bearer_token: 'not-the-token' }));
    await expect(wrongToken.snapshot(principal)).rejects.toMatchObject({
      code: 'CONNECTOR.REJECTED',
      retriable: false,
      metadata: { status: 401 },
    });
    const connector = new ScimConnector(connectorConfig());
    await expect(connector.snapshot({ tenant: 'acme', id: 'nobody' })).rejects.toMatchObject({ code: 'CONNECTOR.IDENTITY_NOT_FOUND' });
    await expect(connector.revoke(principal, [{ kind: 'kafka.acl' }])).rejects.toMatchObject({ code: 'CONNECTOR.INVALID_ITEM' });
  });

  it('reports an unreachable server as retriable', async () => {
    const stopped = await startScimTestServer({ token: TOKEN });
    const baseUrl = stopped.baseUrl;
    await stopped.close();
    const connector = new ScimConnector(connectorConfig({ base_url: baseUrl, retry: { max_attempts: 2, initial_delay_ms: 1 } }));
    await expect(connector.snapshot({ tenant: 'acme', id: 'support' })).rejects.toMatchObject({
      code: 'CONNECTOR.UNAVAILABLE',
      retriable: true,
      metadata: { code: 'ECONNREFUSED' },
    });
  });

  it('speaks plain RFC 7644 PATCH: the harness accepts what the connector sends', async () => {
    // The exact bodies the connector sends, replayed by hand against the server.
    const userId = await createUser('agent-manual@example.com');
    const group = await createGroup('manual', [userId]);
    await scim('PATCH', `/Groups/${group}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] });
    expect(await membersOf(group)).toEqual([]);
    await scim('PATCH', `/Groups/${group}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });
    expect(await membersOf(group)).toEqual([userId]);
  });
});
