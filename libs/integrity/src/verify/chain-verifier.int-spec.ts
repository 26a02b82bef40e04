import { createPublicKey } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { type UtcInstant, parseRfc3339, toClickHouseDateTime64 } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { AgentActionRepository, MIGRATIONS, Migrator, TableNames, createClickHouseClient, toAgentActionRow } from '@warden/storage';
import { tempDir } from '@warden/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditDigestRepository } from '../digest/audit-digest.repository.js';
import { DigestWriter, digestInputFromRow } from '../digest/digest-writer.js';
import { INTEGRITY_MIGRATIONS, INTEGRITY_TABLES } from '../integrity.migrations.js';
import { AuditKeyRepository } from '../keys/audit-key.repository.js';
import { IntegrityKeyring } from '../keys/integrity-keyring.js';
import { ChainVerifier } from './chain-verifier.js';

const data = tempDir('warden-integrity-');
const tables = new TableNames('warden_integrity_spec');
const keyring = IntegrityKeyring.generate();
let client: ClickHouseClient;
let actions: AgentActionRepository;
let writer: DigestWriter;
let verifier: ChainVerifier;

beforeAll(async () => {
  client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: tables.database });
  await new Migrator(client, tables, [...MIGRATIONS, ...INTEGRITY_MIGRATIONS]).migrate();
  actions = new AgentActionRepository(client, tables);
  writer = newWriter();
  verifier = new ChainVerifier(client, tables, keyring);
});

afterAll(async () => {
  await client.close();
  data.cleanup();
});

const newWriter = (signWith: IntegrityKeyring = keyring) =>
  new DigestWriter(new AuditDigestRepository(client, tables), new AuditKeyRepository(client, tables), signWith, () => new Date('2026-11-24T12:00:00Z'));

const digestTable = () => tables.table(INTEGRITY_TABLES.digests);

/** Batch b of a tenant is stored at 10:0b:00 and holds events e0..e2 that occurred a minute earlier, a second apart. */
const ingestedAt = (batch: number): UtcInstant => parseRfc3339(`2026-11-24T10:0${batch}:00.250000Z`);

function event(tenant: string, batch: number, i: number, overrides: Partial<AgentAction> = {}): AgentAction {
  return {
    event_id: `${tenant}-b${batch}-e${i}`,
    schema_version: '1',
    occurred_at: `2026-11-24T09:5${batch}:0${i}.123456Z`,
    tenant,
    principal: { id: 'agent-mailer', kind: 'agent' },
    action: { type: 'mail.delete', name: `delete message ${batch}.${i}` },
    resource: { type: 'mail.message', id: `msg-${batch}-${i}`, sensitivity: 'confidential' },
    outcome: 'success',
    source: { system: 'mail-gateway' },
    attributes: { folder: 'inbox', confirmed: false },
    ...overrides,
  };
}

/** What the ingest path does: insert the rows, then digest exactly those rows. */
async function storeBatch(tenant: string, batch: number, events: AgentAction[], via: DigestWriter = writer) {
  const rows = events.map((e) => toAgentActionRow(e, ingestedAt(batch)));
  await actions.insert(rows);
  return via.append(
    tenant,
    rows.map(digestInputFromRow),
    ingestedAt(batch),
  );
}

/** A tenant with three batches of three events each. */
async function threeBatches(tenant: string): Promise<void> {
  for (const batch of [1, 2, 3]) await storeBatch(tenant, batch, [0, 1, 2].map((i) => event(tenant, batch, i)));
}

async function mutate(statement: string, params: Record<string, unknown>): Promise<void> {
  await client.command({ query: `${statement} SETTINGS mutations_sync = 2`, query_params: params });
}

describe('the tamper-evident log on the embedded engine', () => {
  it('verifies an untouched log, counting every batch and event', async () => {
    await threeBatches('t-clean');
    expect(await verifier.verify({ tenant: 't-clean' })).toEqual({ ok: true, checked_batches: 3, checked_events: 9 });
  });

  it('chains each batch to the previous digest of its tenant, from the genesis digest', async () => {
    await threeBatches('t-chain');
    const rows = await new AuditDigestRepository(client, tables).window('t-chain', 0, 10);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0].prev_digest).toBe('0'.repeat(64));
    expect(rows[1].prev_digest).toBe(rows[0].digest);
    expect(rows[2].prev_digest).toBe(rows[1].digest);
    expect(rows[1]).toMatchObject({
      tenant: 't-chain',
      key_id: keyring.keyId,
      event_count: 3,
      event_ids: ['t-chain-b2-e0', 't-chain-b2-e1', 't-chain-b2-e2'],
      event_occurred_at: ['2026-11-24 09:52:00.123456', '2026-11-24 09:52:01.123456', '2026-11-24 09:52:02.123456'],
      first_occurred_at: '2026-11-24 09:52:00.123456',
      last_occurred_at: '2026-11-24 09:52:02.123456',
      ingested_at: '2026-11-24 10:02:00.250000',
    });
  });

  it('locates an edited payload (ALTER UPDATE) to its batch and event', async () => {
    await threeBatches('t-edit');
    const forged = JSON.stringify({ ...event('t-edit', 2, 1), outcome: 'denied' });
    await mutate(`ALTER TABLE ${tables.agentActions} UPDATE payload = {p:String} WHERE event_id = {id:String}`, { p: forged, id: 't-edit-b2-e1' });
    expect(await verifier.verify({ tenant: 't-edit' })).toEqual({
      ok: false,
      checked_batches: 3,
      checked_events: 9,
      first_break: { tenant: 't-edit', seq: 2, kind: 'edited_row', event_id: 't-edit-b2-e1', detail: 'payload differs from the signed event' },
    });
  });

  it('locates an edited column that queries filter on, even with the payload untouched', async () => {
    await threeBatches('t-column');
    await mutate(`ALTER TABLE ${tables.agentActions} UPDATE action_type = 'mail.read' WHERE event_id = {id:String}`, { id: 't-column-b3-e0' });
    expect((await verifier.verify({ tenant: 't-column' })).first_break).toEqual({
      tenant: 't-column',
      seq: 3,
      kind: 'edited_row',
      event_id: 't-column-b3-e0',
      detail: 'column action_type disagrees with the payload',
    });
  });

  it('locates a deleted row (ALTER DELETE)', async () => {
    await threeBatches('t-delete');
    await mutate(`ALTER TABLE ${tables.agentActions} DELETE WHERE event_id = {id:String}`, { id: 't-delete-b2-e2' });
    expect(await verifier.verify({ tenant: 't-delete' })).toEqual({
      ok: false,
      checked_batches: 3,
      checked_events: 9,
      first_break: { tenant: 't-delete', seq: 2, kind: 'deleted_row', event_id: 't-delete-b2-e2', detail: 'the event has no row in agent_actions' },
    });
  });

  it('locates a forged row in no digest at the batch whose ingest time it borrows', async () => {
    await threeBatches('t-forge');
    await actions.insert([toAgentActionRow(event('t-forge', 2, 9, { event_id: 't-forge-planted' }), ingestedAt(2))]);
    expect(await verifier.verify({ tenant: 't-forge' })).toEqual({
      ok: false,
      checked_batches: 3,
      checked_events: 9,
      first_break: {
        tenant: 't-forge',
        seq: 2,
        kind: 'forged_row',
        event_id: 't-forge-planted',
        detail: 'the row (ingested at 2026-11-24 10:02:00.250000) is in no digest',
      },
    });
  });

  it('places a forged row stored after the last batch at the next position of the chain', async () => {
    await threeBatches('t-forge-late');
    await actions.insert([toAgentActionRow(event('t-forge-late', 3, 7, { event_id: 't-forge-late-planted' }), parseRfc3339('2026-11-24T11:00:00Z'))]);
    expect((await verifier.verify({ tenant: 't-forge-late' })).first_break).toEqual({
      tenant: 't-forge-late',
      seq: 4,
      kind: 'forged_row',
      event_id: 't-forge-late-planted',
      detail: 'the row (ingested at 2026-11-24 11:00:00.000000) is in no digest',
    });
  });

  it('catches a forged second copy of a digested event, which FINAL would have hidden', async () => {
    await threeBatches('t-copy');
    // Another principal, so the copy's sorting key differs and no background merge can collapse it into the original.
    const copy = event('t-copy', 1, 2, { principal: { id: 'agent-innocent', kind: 'agent' } });
    await actions.insert([toAgentActionRow(copy, ingestedAt(1))]);
    expect((await verifier.verify({ tenant: 't-copy' })).first_break).toEqual({
      tenant: 't-copy',
      seq: 1,
      kind: 'forged_row',
      event_id: 't-copy-b1-e2',
      detail: '1 extra row for this event with content that was not signed',
    });
  });

  it('locates a deleted digest row as a missing batch', async () => {
    await threeBatches('t-gap');
    await mutate(`ALTER TABLE ${digestTable()} DELETE WHERE tenant = {t:String} AND seq = 2`, { t: 't-gap' });
    expect(await verifier.verify({ tenant: 't-gap' })).toEqual({
      ok: false,
      checked_batches: 2,
      checked_events: 6,
      first_break: { tenant: 't-gap', seq: 2, kind: 'missing_batch', detail: 'batch 2 is missing: the chain jumps from 1 to 3' },
    });
  });

  it('shows the removal of the latest digest as its events being in no digest', async () => {
    await threeBatches('t-tail');
    await mutate(`ALTER TABLE ${digestTable()} DELETE WHERE tenant = {t:String} AND seq = 3`, { t: 't-tail' });
    expect((await verifier.verify({ tenant: 't-tail' })).first_break).toEqual({
      tenant: 't-tail',
      seq: 3,
      kind: 'forged_row',
      event_id: 't-tail-b3-e0',
      detail: 'the row (ingested at 2026-11-24 10:03:00.250000) is in no digest; 3 such rows in all',
    });
  });

  it('reports a digest row altered after signing as a bad signature', async () => {
    await threeBatches('t-resign');
    // Hide an event from its batch: drop it from the digest's lists.
    await mutate(
      `ALTER TABLE ${digestTable()} UPDATE event_ids = arrayPopBack(event_ids), event_hashes = arrayPopBack(event_hashes),
         event_occurred_at = arrayPopBack(event_occurred_at), event_count = 2 WHERE tenant = {t:String} AND seq = 2`,
      { t: 't-resign' },
    );
    expect((await verifier.verify({ tenant: 't-resign' })).first_break).toEqual({
      tenant: 't-resign',
      seq: 2,
      kind: 'bad_signature',
      detail: 'the digest row was altered after signing: its fields no longer hash to its digest',
    });
  });

  it('refuses digests signed by a key the verifier does not trust', async () => {
    await threeBatches('t-untrusted');
    const stranger = IntegrityKeyring.generate();
    const result = await new ChainVerifier(client, tables, stranger).verify({ tenant: 't-untrusted' });
    expect(result.first_break).toEqual({
      tenant: 't-untrusted',
      seq: 1,
      kind: 'bad_signature',
      detail: `signed by key ${keyring.keyId}, which this verifier does not trust`,
    });
    const trusting = IntegrityKeyring.generate([createPublicKey(keyring.publicKeyPem)]);
    expect(await new ChainVerifier(client, tables, trusting).verify({ tenant: 't-untrusted' })).toEqual({ ok: true, checked_batches: 3, checked_events: 9 });
  });

  it('reports two writers forking one chain as a reordered batch', async () => {
    // A second process, whose memory of the head is seq 1: both it and this one write seq 2.
    const other = newWriter();
    await storeBatch('t-fork', 1, [event('t-fork', 1, 0)], other);
    await storeBatch('t-fork', 2, [event('t-fork', 2, 0)]);
    await storeBatch('t-fork', 3, [event('t-fork', 3, 0)], other);
    const result = await verifier.verify({ tenant: 't-fork' });
    expect(result.first_break).toMatchObject({ tenant: 't-fork', seq: 2, kind: 'reordered_batch' });
    expect(result.first_break?.detail).toBe('two different batches claim seq 2 (a fork or a forged digest row)');
  });

  it('serialises concurrent appends of one tenant into one unbroken chain', async () => {
    const rows = [1, 2, 3, 4, 5].map((batch) => toAgentActionRow(event('t-concurrent', batch, 0), ingestedAt(batch)));
    await actions.insert(rows);
    const appended = await Promise.all(rows.map((row, i) => writer.append('t-concurrent', [digestInputFromRow(row)], ingestedAt(i + 1))));
    expect(appended.map((d) => d?.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await verifier.verify({ tenant: 't-concurrent' })).toEqual({ ok: true, checked_batches: 5, checked_events: 5 });
  });

  it('continues the chain across a restart: a new writer reads the head from the table', async () => {
    await storeBatch('t-restart', 1, [event('t-restart', 1, 0)]);
    const restarted = newWriter();
    const second = await storeBatch('t-restart', 2, [event('t-restart', 2, 0), event('t-restart', 2, 1)], restarted);
    expect(second).toMatchObject({ seq: 2, event_count: 2 });
    expect(await verifier.verify({ tenant: 't-restart' })).toEqual({ ok: true, checked_batches: 2, checked_events: 3 });
  });

  it('checks only the batches stored in [from, to), linking the first to the one before', async () => {
    await threeBatches('t-range');
    await mutate(`ALTER TABLE ${tables.agentActions} DELETE WHERE event_id = {id:String}`, { id: 't-range-b3-e0' });
    expect(await verifier.verify({ tenant: 't-range', from: '2026-11-24T10:02:00Z', to: '2026-11-24T10:03:00Z' })).toEqual({
      ok: true,
      checked_batches: 1,
      checked_events: 3,
    });
    expect((await verifier.verify({ tenant: 't-range', from: '2026-11-24T10:02:00Z' })).first_break).toMatchObject({
      seq: 3,
      kind: 'deleted_row',
      event_id: 't-range-b3-e0',
    });
  });

  it('tells an event aged out by retention from a deleted one', async () => {
    await threeBatches('t-retention');
    await mutate(`ALTER TABLE ${tables.agentActions} DELETE WHERE tenant = {t:String} AND occurred_at < {at:DateTime64(6, 'UTC')}`, {
      t: 't-retention',
      at: toClickHouseDateTime64(parseRfc3339('2026-11-24T09:52:00Z')),
    });
    // 30 days of retention, checked when batch 1's events (09:51) are past it and batch 2's (09:52) are not.
    const aged = new ChainVerifier(client, tables, keyring, { retentionDays: 30, now: () => new Date('2026-12-24T09:51:30Z') });
    expect(await aged.verify({ tenant: 't-retention' })).toEqual({ ok: true, checked_batches: 3, checked_events: 6 });
    const forever = await verifier.verify({ tenant: 't-retention' });
    expect(forever.first_break).toMatchObject({ seq: 1, kind: 'deleted_row', event_id: 't-retention-b1-e0' });
  });

  it('checks every tenant when none is named, and reports the first break in tenant order', async () => {
    // A database of its own, so the other tests' tenants do not take part.
    const own = new TableNames('warden_integrity_all_spec');
    await new Migrator(client, own, [...MIGRATIONS, ...INTEGRITY_MIGRATIONS]).migrate();
    const ownActions = new AgentActionRepository(client, own);
    const ownWriter = new DigestWriter(new AuditDigestRepository(client, own), new AuditKeyRepository(client, own), keyring);
    for (const tenant of ['t-a', 't-b', 't-c']) {
      for (const batch of [1, 2]) {
        const rows = [0, 1].map((i) => toAgentActionRow(event(tenant, batch, i), ingestedAt(batch)));
        await ownActions.insert(rows);
        await ownWriter.append(tenant, rows.map(digestInputFromRow), ingestedAt(batch));
      }
    }
    await mutate(`ALTER TABLE ${own.agentActions} DELETE WHERE event_id IN ('t-b-b2-e1', 't-c-b1-e0')`, {});
    expect(await new ChainVerifier(client, own, keyring).verify()).toEqual({
      ok: false,
      checked_batches: 6,
      checked_events: 12,
      first_break: { tenant: 't-b', seq: 2, kind: 'deleted_row', event_id: 't-b-b2-e1', detail: 'the event has no row in agent_actions' },
    });
  });

  it('refuses to digest a batch whose payload is not the event it claims to be', async () => {
    const row = toAgentActionRow(event('t-wiring', 1, 0), ingestedAt(1));
    await expect(writer.append('t-wiring', [{ ...digestInputFromRow(row), event_id: 'another-id' }], ingestedAt(1))).rejects.toMatchObject({
      code: 'INTEGRITY.INVALID_BATCH',
    });
    expect(await writer.append('t-wiring', [], ingestedAt(1))).toBeNull();
  });

  it('publishes the signing key once, by key id, however many writers use it', async () => {
    await storeBatch('t-keys', 1, [event('t-keys', 1, 0)], newWriter());
    await storeBatch('t-keys', 2, [event('t-keys', 2, 0)], newWriter());
    const published = await new AuditKeyRepository(client, tables).list();
    expect(published).toEqual([
      { key_id: keyring.keyId, algorithm: 'ed25519', public_key_pem: keyring.publicKeyPem, registered_at: '2026-11-24T12:00:00Z' },
    ]);
  });
});
