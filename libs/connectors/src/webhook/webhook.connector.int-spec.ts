import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { webhookConnectorConfigSchema } from './webhook.config.js';
import { WebhookConnector, type WebhookConnectorOptions } from './webhook.connector.js';
import type { WebhookAccessItem } from './webhook.items.js';
import { signWebhook } from './webhook.signature.js';
import { startWebhookTestReceiver, type WebhookTestReceiver } from './testing/webhook-test-receiver.js';

/**
 * Against a real receiver: a node:http server on 127.0.0.1 that checks every
 * signature with verifyWebhookSignature, as customers are told to.
 */
const SECRET = 'whsec-0123456789abcdef';
const principal = { tenant: 'acme', id: 'mail-agent' };

let receiver: WebhookTestReceiver;

beforeEach(async () => {
  receiver = await startWebhookTestReceiver({ secret: SECRET });
});

afterEach(async () => {
  await receiver.close();
});

function connector(overrides: Record<string, unknown> = {}, options: WebhookConnectorOptions = {}): WebhookConnector {
  return new WebhookConnector(
    webhookConnectorConfigSchema.parse({
      kind: 'webhook',
      name: 'webhook-test',
      urls: { revoke: receiver.url('revoke'), restore: receiver.url('restore') },
      secret: SECRET,
      identity: { template: 'svc-{principal}' },
      retry: { max_attempts: 3, initial_delay_ms: 10, timeout_ms: 10_000 },
      ...overrides,
    }),
    options,
  );
}

const withSnapshotUrl = () => ({
  urls: { revoke: receiver.url('revoke'), restore: receiver.url('restore'), snapshot: receiver.url('snapshot') },
});

const mailbox: WebhookAccessItem = { kind: 'webhook.mailbox', mailbox: 'inbox', rights: ['read', 'delete'] };
const apiKey: WebhookAccessItem = { kind: 'webhook.api_key', key_id: 'k-17' };

describe('WebhookConnector without a snapshot URL', () => {
  it('snapshots the principal as one item, and POSTs signed revoke and restore requests carrying it', async () => {
    let ids = 0;
    const webhook = connector({}, { newId: () => `op-${++ids}` });
    const before = await webhook.snapshot(principal);
    expect(before).toEqual([{ kind: 'webhook.access', principal: 'svc-mail-agent' }]);
    expect(receiver.deliveries).toEqual([]); // nothing to ask

    expect(await webhook.revoke(principal, before)).toEqual({ applied: before, failed: [] });
    expect(await webhook.restore(principal, before)).toEqual({ applied: before, failed: [] });

    expect(receiver.deliveries.map((d) => [d.path, d.status, d.signature.valid])).toEqual([
      ['revoke', 200, true],
      ['restore', 204, true],
    ]);
    const [revoke, restore] = receiver.deliveries;
    expect(JSON.parse(revoke.body)).toEqual({
      id: 'op-1',
      type: 'containment.revoke',
      connector: 'webhook-test',
      principal,
      identity: 'svc-mail-agent',
      items: before,
    });
    expect(JSON.parse(restore.body)).toMatchObject({ id: 'op-2', type: 'containment.restore', items: before });
    expect(revoke.headers['idempotency-key']).toBe('op-1');
    expect(revoke.headers['content-type']).toBe('application/json');
    const timestamp = Number(revoke.headers['x-warden-timestamp']);
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(revoke.headers['x-warden-signature']).toBe(signWebhook(SECRET, timestamp, revoke.body));
    expect(receiver.applied).toEqual({ revoke: 1, restore: 1 });
  });

  it('retries a 503 with the same idempotency id and body, freshly signed, and the receiver acts once', async () => {
    const retries: string[] = [];
    // A clock that moves a second per signature (well within the receiver's 5-minute window).
    let clock = Date.now();
    const webhook = connector({}, { onRetry: ({ error }) => void retries.push(error.code), now: () => new Date((clock += 1_000)) });
    receiver.failNext(503);

    const before = await webhook.snapshot(principal);
    expect(await webhook.revoke(principal, before)).toEqual({ applied: before, failed: [] });
    expect(retries).toEqual(['CONNECTOR.UNAVAILABLE']);
    expect(receiver.deliveries.map((d) => [d.path, d.status])).toEqual([
      ['revoke', 503],
      ['revoke', 200],
    ]);
    const [first, second] = receiver.deliveries;
    expect(second.body).toBe(first.body);
    expect(second.headers['idempotency-key']).toBe(first.headers['idempotency-key']);
    expect(Number(second.headers['x-warden-timestamp'])).toBe(Number(first.headers['x-warden-timestamp']) + 1);
    expect(second.headers['x-warden-signature']).not.toBe(first.headers['x-warden-signature']);
    expect(receiver.applied).toEqual({ revoke: 1, restore: 0 });
  });

  it('does not retry a 400, and reports it as a refusal with the receiver’s words', async () => {
    const retries: string[] = [];
    const webhook = connector({}, { onRetry: ({ error }) => void retries.push(error.code) });
    receiver.failNext(400);
    const before = await webhook.snapshot(principal);
    await expect(webhook.revoke(principal, before)).rejects.toMatchObject({
      code: 'CONNECTOR.REJECTED',
      retriable: false,
      message: 'webhook-test.revoke: HTTP 400: {"error":"injected failure"}',
      metadata: { status: 400 },
    });
    expect(retries).toEqual([]);
    expect(receiver.deliveries.map((d) => [d.path, d.status])).toEqual([['revoke', 400]]);
    expect(receiver.applied).toEqual({ revoke: 0, restore: 0 });
  });

  it('gives up after the configured attempts when the receiver keeps failing, still marked retriable', async () => {
    const webhook = connector({ retry: { max_attempts: 2, initial_delay_ms: 1 } });
    receiver.failNext(503, 5);
    await expect(webhook.restore(principal, [{ kind: 'webhook.access', principal: 'svc-mail-agent' }])).rejects.toMatchObject({
      code: 'CONNECTOR.UNAVAILABLE',
      retriable: true,
    });
    expect(receiver.deliveries.map((d) => d.status)).toEqual([503, 503]);
  });

  it('is refused by a receiver holding another secret, and times out on one that does not answer', async () => {
    const wrongSecret = connector({ secret: 'not-the-shared-secret' });
    await expect(wrongSecret.revoke(principal, [mailbox])).rejects.toMatchObject({ code: 'CONNECTOR.REJECTED', metadata: { status: 401 } });
    expect(receiver.deliveries.map((d) => [d.status, d.signature])).toEqual([[401, { valid: false, reason: 'SIGNATURE_MISMATCH' }]]);

    const retries: string[] = [];
    const impatient = connector({ request_timeout_ms: 150 }, { onRetry: ({ error }) => void retries.push(error.code) });
    receiver.delayNext(1_000);
    expect(await impatient.revoke(principal, [mailbox])).toEqual({ applied: [mailbox], failed: [] });
    expect(retries).toEqual(['CONNECTOR.TIMEOUT']);
  });

  it('refuses items of another connector without calling the receiver', async () => {
    await expect(connector().revoke(principal, [{ kind: 'pg.login' }])).rejects.toMatchObject({
      code: 'CONNECTOR.INVALID_ITEM',
      metadata: { issues: ['0.kind: kind must start with "webhook."'] },
    });
    expect(receiver.deliveries).toEqual([]);
  });
});

describe('WebhookConnector with a snapshot URL', () => {
  it('snapshots what the receiver lists, revokes and restores it, and reads each outcome back', async () => {
    receiver.holdings = [mailbox, apiKey];
    const webhook = connector(withSnapshotUrl());

    const before = await webhook.snapshot(principal);
    expect(before).toEqual([apiKey, mailbox]);
    expect(JSON.parse(receiver.deliveries[0].body)).toMatchObject({ type: 'containment.snapshot', identity: 'svc-mail-agent' });
    expect(JSON.parse(receiver.deliveries[0].body)).not.toHaveProperty('items');

    expect(await webhook.revoke(principal, before)).toEqual({ applied: before, failed: [] });
    expect(receiver.holdings).toEqual([]);
    expect(await webhook.verify(principal, [])).toEqual({ matches: true, missing: [], unexpected: [] });

    expect(await webhook.restore(principal, before)).toEqual({ applied: before, failed: [] });
    const after = await webhook.snapshot(principal);
    expect(after).toEqual(before);
    expect(receiver.deliveries.map((d) => d.path)).toEqual(['snapshot', 'revoke', 'snapshot', 'snapshot', 'restore', 'snapshot', 'snapshot']);
  });

  it('reports items the receiver still lists after a 2xx revoke as not applied', async () => {
    receiver.holdings = [mailbox, apiKey];
    const webhook = connector(withSnapshotUrl());
    const before = await webhook.snapshot(principal);
    receiver.answerNextSnapshotWith(JSON.stringify([mailbox])); // the read-back after the revoke
    expect(await webhook.revoke(principal, before)).toEqual({
      applied: [apiKey],
      failed: [{ item: mailbox, error: { code: 'CONNECTOR.NOT_APPLIED', message: 'still reported by the receiver after revoke' } }],
    });
  });

  it('refuses a snapshot answer that is not a list of webhook items', async () => {
    const webhook = connector(withSnapshotUrl());
    receiver.answerNextSnapshotWith(JSON.stringify({ items: [] }));
    await expect(webhook.snapshot(principal)).rejects.toMatchObject({ code: 'CONNECTOR.REJECTED' });
    receiver.answerNextSnapshotWith(JSON.stringify([{ kind: 'pg.login' }]));
    await expect(webhook.snapshot(principal)).rejects.toMatchObject({
      code: 'CONNECTOR.REJECTED',
      metadata: { issues: ['0.kind: kind must start with "webhook."'] },
    });
    receiver.answerNextSnapshotWith('not json');
    await expect(webhook.snapshot(principal)).rejects.toMatchObject({ code: 'CONNECTOR.REJECTED' });
  });
});
