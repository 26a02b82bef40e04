import type { ClickHouseClient } from '@clickhouse/client';
import type { UtcInstant } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { AuditDigestRepository, AuditKeyRepository, ChainVerifier, DigestWriter, INTEGRITY_MIGRATIONS, IntegrityKeyring } from '@warden/integrity';
import { AgentActionRepository, MIGRATIONS, Migrator, RejectedEventRepository, TableNames, createClickHouseClient } from '@warden/storage';
import { agentAction, tempDir } from '@warden/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import { IngestService } from './ingest.service.js';

const data = tempDir('warden-ingest-');
const tables = new TableNames('warden_ingest_spec');
let client: ClickHouseClient;

beforeAll(async () => {
  client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: tables.database });
  await new Migrator(client, tables, [...MIGRATIONS, ...INTEGRITY_MIGRATIONS]).migrate();
});
afterAll(async () => {
  await client.close();
  data.cleanup();
});

/** The real repository, with inserts that wait for the test to open the gate once they have started. */
class GatedActions extends AgentActionRepository {
  insertStarted!: Promise<void>;
  private started!: () => void;
  private gate = Promise.resolve();
  open!: () => void;

  hold(): void {
    this.insertStarted = new Promise((r) => (this.started = r));
    this.gate = new Promise((r) => (this.open = r));
  }

  override async insert(...args: Parameters<AgentActionRepository['insert']>): Promise<void> {
    this.started?.();
    await this.gate;
    return super.insert(...args);
  }
}

/** The real digest repository, whose next insert waits for the test to open the gate. */
class GatedDigests extends AuditDigestRepository {
  private gate = Promise.resolve();
  open!: () => void;
  readonly inserted: number[] = [];

  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }

  override async insert(...args: Parameters<AuditDigestRepository['insert']>): Promise<void> {
    await this.gate;
    await super.insert(...args);
    this.inserted.push(args[0].seq);
  }
}

/** The real digest repository, whose next inserts fail: `lostReply` ones after the row landed, the others before. */
class FailingDigests extends AuditDigestRepository {
  failures: ('lostReply' | 'refused')[] = [];
  /** Called as a failure is thrown. */
  onFailure = () => {};

  override async insert(...args: Parameters<AuditDigestRepository['insert']>): Promise<void> {
    const failure = this.failures.shift();
    if (failure) this.onFailure();
    if (failure === 'refused') throw new Error('clickhouse: connection refused');
    await super.insert(...args);
    if (failure === 'lostReply') throw new Error('clickhouse: socket hang up');
  }
}

const keyring = IntegrityKeyring.generate();

function ingestService(
  actions: AgentActionRepository = new AgentActionRepository(client, tables),
  metrics = new IngestMetrics(),
  digests: AuditDigestRepository = new AuditDigestRepository(client, tables),
  minWriteIntervalMs = 0,
): IngestService {
  return new IngestService(
    actions,
    new RejectedEventRepository(client, tables),
    metrics,
    new DigestWriter(digests, new AuditKeyRepository(client, tables), keyring, undefined, { policy: { initialMs: 5, maxMs: 20 }, maxAttempts: 3 }),
    pino({ level: 'silent' }),
    // Unpaced unless asked: most specs are about order and checkpoints, not the engine's CPU.
    { ingest: { minWriteIntervalMs } },
  );
}

/** A follower step that holds its first run until released, recording the events of every run. */
function heldFollower() {
  const runs: string[][] = [];
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const hook = async (events: AgentAction[], _at: UtcInstant) => {
    runs.push(events.map((e) => e.event_id));
    if (runs.length === 1) await held;
  };
  return { runs, hook, release };
}

/** A follower step that hands each run over at once and settles it only when the test says so. */
function handingOverFollower() {
  const runs: string[][] = [];
  const settle: ((failure?: Error) => void)[] = [];
  const hook = async (events: AgentAction[], _at: UtcInstant) => {
    runs.push(events.map((e) => e.event_id));
    const settled = new Promise<void>((resolve, reject) => settle.push((failure) => (failure ? reject(failure) : resolve())));
    return { settled };
  };
  return { runs, settle, hook };
}

const tick = () => new Promise((r) => setTimeout(r, 50));
/** Waits for something the code under test does in the background (on a loaded machine it may take longer than a tick). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const batch = (tag: string, n: number) => Array.from({ length: n }, (_, i) => agentAction({ event_id: `${tag}-${i}`, tenant: 'acme' }));
const ids = (events: AgentAction[]) => events.map((e) => e.event_id);

describe('the integrity chain', () => {
  it('does not hold up the next write, yet a store resolves only once its own digest is stored, and the chain keeps write order', async () => {
    const digests = new GatedDigests(client, tables);
    const actions = new AgentActionRepository(client, tables);
    const ingest = ingestService(actions, undefined, digests);
    const tenant = `chain-${Date.now()}`;
    const events = (tag: string) => Array.from({ length: 2 }, (_, i) => agentAction({ event_id: `${tag}-${i}`, tenant }));
    const [first, second] = [events('ch-a'), events('ch-b')];
    await ingest.store(events('ch-0'));
    const startSeq = digests.inserted.at(-1) ?? 0;
    digests.hold();

    const found = (batch: AgentAction[]) =>
      actions.findStored(tenant, ids(batch), { from: '1970-01-01 00:00:00.000000', to: '2100-01-01 00:00:00.000000' }).then((f) => f.size);
    let firstResolved = false;
    const firstStored = ingest.store(first).then((o) => ((firstResolved = true), o));
    await expect.poll(() => found(first)).toBe(2);
    // The first write is over (its rows are in) while its digest is held: the second write goes in regardless.
    const secondStored = ingest.store(second);
    await expect.poll(() => found(second)).toBe(2);
    expect(firstResolved).toBe(false);
    expect(digests.inserted).toEqual([startSeq]);

    digests.open();
    expect(await firstStored).toMatchObject({ inserted: 2 });
    expect(await secondStored).toMatchObject({ inserted: 2 });
    expect(digests.inserted.slice(-2)).toEqual([startSeq + 1, startSeq + 2]);
    const chain = await digests.window(tenant, startSeq, startSeq + 2);
    expect(chain.map((d) => d.event_ids)).toEqual([ids(first), ids(second)]);
    expect(chain[1].prev_digest).toBe(chain[0].digest);
  });
});

describe('a batch whose events were all stored already', () => {
  it('is answered only once the digest of the write that stored them is chained', async () => {
    const digests = new GatedDigests(client, tables);
    const actions = new AgentActionRepository(client, tables);
    const dedupeChecks = vi.spyOn(actions, 'findStored');
    const ingest = ingestService(actions, undefined, digests);
    const tenant = `dup-${Date.now()}`;
    const events = Array.from({ length: 2 }, (_, i) => agentAction({ event_id: `dup-${i}`, tenant }));
    digests.hold();
    const first = ingest.store(events);
    const reader = new AgentActionRepository(client, tables);
    await expect.poll(() => reader.findStored(tenant, ids(events), { from: '1970-01-01 00:00:00.000000', to: '2100-01-01 00:00:00.000000' }).then((f) => f.size)).toBe(2);
    // The same events again (a redelivery racing the first write): found stored, nothing new to chain.
    let againResolved = false;
    const again = ingest.store(events).then((o) => ((againResolved = true), o));
    await expect.poll(() => dedupeChecks.mock.calls.length).toBe(2);
    // Its dedupe check has answered (all stored): only the chain can still hold it.
    await dedupeChecks.mock.results[1].value;
    await tick();
    expect(againResolved).toBe(false);

    digests.open();
    expect(await first).toMatchObject({ inserted: 2 });
    expect(await again).toMatchObject({ inserted: 0, alreadyStored: 2 });
  });
});

describe('the dedupe check, asked when a batch arrives rather than when its write starts', () => {
  const events = (tenant: string, tag: string, n = 3) => Array.from({ length: n }, (_, i) => agentAction({ event_id: `${tag}-${i}`, tenant }));
  const rowsOf = async (tenant: string) =>
    Number((await (await client.query({ query: `SELECT count() AS n FROM ${tables.agentActions} WHERE tenant = {tenant:String}`, query_params: { tenant }, format: 'JSONEachRow' })).json<{ n: string }>())[0].n);

  /** The real repository, whose next insert waits for the test and then fails without writing anything. */
  class RefusingActions extends GatedActions {
    refuseNext = false;
    override async insert(...args: Parameters<AgentActionRepository['insert']>): Promise<void> {
      if (!this.refuseNext) return super.insert(...args);
      this.refuseNext = false;
      await super.insert([]);
      throw new Error('clickhouse: connection refused');
    }
  }

  it('finds a redelivery stored when the write that stores the original was still under way as it was checked', async () => {
    const actions = new GatedActions(client, tables);
    const checks = vi.spyOn(actions, 'findStored');
    const ingest = ingestService(actions);
    const tenant = `early-${Date.now()}`;
    const original = events(tenant, 'ea');
    actions.hold();
    const first = ingest.store(original);
    await actions.insertStarted;
    const again = ingest.store(original);
    // The redelivery's check has answered while the original's rows were not in yet: it found none of them.
    await expect.poll(() => checks.mock.calls.length).toBe(2);
    expect((await checks.mock.results[1].value).size).toBe(0);

    actions.open();
    expect(await first).toMatchObject({ inserted: 3, alreadyStored: 0 });
    expect(await again).toMatchObject({ inserted: 0, alreadyStored: 3 });
    expect(await rowsOf(tenant)).toBe(3);
  });

  it('asks the log again when a write that was under way as a batch was checked failed, and stores the batch', async () => {
    const actions = new RefusingActions(client, tables);
    const checks = vi.spyOn(actions, 'findStored');
    const ingest = ingestService(actions);
    const tenant = `early-failed-${Date.now()}`;
    const original = events(tenant, 'ef');
    actions.hold();
    actions.refuseNext = true;
    const first = ingest.store(original);
    await actions.insertStarted;
    const again = ingest.store(original);
    await expect.poll(() => checks.mock.calls.length).toBe(2);

    actions.open();
    await expect(first).rejects.toThrow('connection refused');
    expect(await again).toMatchObject({ inserted: 3, alreadyStored: 0 });
    // Its early check could not tell what the failed write left: its write asked once more.
    expect(checks).toHaveBeenCalledTimes(3);
    expect(await rowsOf(tenant)).toBe(3);
  });

  it('asks the log again at the write when the early check failed', async () => {
    const actions = new AgentActionRepository(client, tables);
    const checks = vi.spyOn(actions, 'findStored').mockRejectedValueOnce(new Error('clickhouse: timeout'));
    const ingest = ingestService(actions);
    const tenant = `early-check-failed-${Date.now()}`;
    const original = events(tenant, 'ec');
    await ingest.store(original);
    expect(await ingest.store(original)).toMatchObject({ inserted: 0, alreadyStored: 3 });
    expect(checks).toHaveBeenCalledTimes(3);
    expect(await rowsOf(tenant)).toBe(3);
  });

  it('is paced like the writes, yet a write whose batch waits out that pacing for its check starts the check at once', async () => {
    const intervalMs = 3_000;
    const actions = new GatedActions(client, tables);
    const checks = vi.spyOn(actions, 'findStored');
    const ingest = ingestService(actions, new IngestMetrics(), new AuditDigestRepository(client, tables), intervalMs);
    const tenant = `early-paced-${Date.now()}`;
    actions.hold();
    const first = ingest.store(events(tenant, 'pa'));
    await actions.insertStarted;
    // Past one interval, with the first write still under way: the next batch is checked as it arrives...
    await new Promise((r) => setTimeout(r, intervalMs + 100));
    const second = ingest.store(events(tenant, 'pb'));
    await expect.poll(() => checks.mock.calls.length).toBe(2);
    // ...and the one after it, arriving within the interval of that check, waits for the checks' pacing.
    const third = ingest.store(events(tenant, 'pc'));
    await tick();
    expect(checks).toHaveBeenCalledTimes(2);

    // The first write ends: the next one (second and third together) may start, and starts the third's check.
    actions.open();
    await first;
    const outcome = await Promise.race([third, new Promise((r) => setTimeout(() => r('still waiting for the pacing'), intervalMs / 2))]);
    expect(outcome).toMatchObject({ inserted: 3, alreadyStored: 0 });
    expect(await second).toMatchObject({ inserted: 3, alreadyStored: 0 });
    expect(checks).toHaveBeenCalledTimes(3);
    expect(await rowsOf(tenant)).toBe(9);
  });

  describe('a batch a step after storage marks urgent (detection: a rule may fire on it)', () => {
    const intervalMs = 3_000;
    const pacedService = (metrics = new IngestMetrics()) => {
      const actions = new AgentActionRepository(client, tables);
      const checks = vi.spyOn(actions, 'findStored');
      const inserts = vi.spyOn(actions, 'insert');
      const ingest = ingestService(actions, metrics, new AuditDigestRepository(client, tables), intervalMs);
      return { ingest, checks, inserts };
    };
    const withinHalfTheInterval = <T>(p: Promise<T>) => Promise.race([p, new Promise((r) => setTimeout(() => r('still waiting for the pacing'), intervalMs / 2))]);

    it('is checked and written at once, with the batches that were waiting out the pacing', async () => {
      const metrics = new IngestMetrics();
      const { ingest, checks, inserts } = pacedService(metrics);
      ingest.addUrgencyTest('rules', (batch) => batch.some((e) => e.event_id.startsWith('alarm')));
      const tenant = `urgent-${Date.now()}`;
      await ingest.store(events(tenant, 'plain-a'));
      // Soon after a write: a plain batch waits out the interval, for its check and its write.
      const plain = ingest.store(events(tenant, 'plain-b'));
      await tick();
      expect([checks.mock.calls.length, inserts.mock.calls.length]).toEqual([1, 1]);

      const urgent = ingest.store(events(tenant, 'alarm'));
      expect(await withinHalfTheInterval(urgent)).toMatchObject({ inserted: 3, alreadyStored: 0 });
      expect(await withinHalfTheInterval(plain)).toMatchObject({ inserted: 3, alreadyStored: 0 });
      expect(inserts.mock.calls.length).toBe(2);
      expect(await rowsOf(tenant)).toBe(9);
      expect(metrics.snapshot().urgent_batches).toBe(1);
    });

    it('counts as urgent when the test throws, and the batch is stored', async () => {
      const { ingest } = pacedService();
      ingest.addUrgencyTest('broken', () => {
        throw new Error('a rule bug');
      });
      const tenant = `urgent-throws-${Date.now()}`;
      await ingest.store(events(tenant, 'x-a'));
      expect(await withinHalfTheInterval(ingest.store(events(tenant, 'x-b')))).toMatchObject({ inserted: 3 });
    });

    it('leaves a batch no test marks to the pacing', async () => {
      const { ingest } = pacedService();
      ingest.addUrgencyTest('rules', () => false);
      const tenant = `not-urgent-${Date.now()}`;
      await ingest.store(events(tenant, 'calm-a'));
      expect(await withinHalfTheInterval(ingest.store(events(tenant, 'calm-b')))).toBe('still waiting for the pacing');
    });
  });

  it('stores each event once when many overlapping batches arrive at once, and counts every copy', async () => {
    const ingest = ingestService();
    const tenant = `early-many-${Date.now()}`;
    const all = events(tenant, 'em', 200);
    // 30 batches of 40 events from a pool of 200, many of them in several batches (redeliveries, other partitions).
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const batches = Array.from({ length: 30 }, () => [...new Set(Array.from({ length: 40 }, () => Math.floor(random() * all.length)))].map((i) => all[i]));
    const outcomes = await Promise.all(batches.map((b) => ingest.store(b)));
    const distinct = new Set(batches.flat().map((e) => e.event_id)).size;
    expect(outcomes.reduce((n, o) => n + o.inserted, 0)).toBe(distinct);
    expect(outcomes.reduce((n, o) => n + o.inserted + o.alreadyStored, 0)).toBe(batches.flat().length);
    expect(await rowsOf(tenant)).toBe(distinct);
  });
});

describe('a digest whose insert fails', () => {
  const verify = (tenant: string) => new ChainVerifier(client, tables, keyring).verify({ tenant });
  const events = (tenant: string, tag: string) => Array.from({ length: 3 }, (_, i) => agentAction({ event_id: `${tag}-${i}`, tenant }));

  it('is stored again, and a later write waits for it rather than overtaking it', async () => {
    const digests = new FailingDigests(client, tables);
    const ingest = ingestService(undefined, undefined, digests);
    const tenant = `refused-${Date.now()}`;
    digests.failures = ['refused', 'refused'];
    const [first, second] = [events(tenant, 'rf-a'), events(tenant, 'rf-b')];
    // The second write goes in as the first one's digest fails: its own digest must wait for the first.
    let secondStored: Promise<unknown> | undefined;
    digests.onFailure = () => (secondStored ??= ingest.store(second));
    expect(await ingest.store(first)).toMatchObject({ inserted: 3 });
    expect(await secondStored).toMatchObject({ inserted: 3 });
    expect((await digests.window(tenant, 0, 10)).map((d) => d.event_ids)).toEqual([ids(first), ids(second)]);
    expect(await verify(tenant)).toEqual({ ok: true, checked_batches: 2, checked_events: 6 });
  });

  it('is not chained twice when it landed though the call failed', async () => {
    const digests = new FailingDigests(client, tables);
    const ingest = ingestService(undefined, undefined, digests);
    const tenant = `lost-${Date.now()}`;
    await ingest.store(events(tenant, 'lr-0'));
    digests.failures = ['lostReply'];
    const batch = events(tenant, 'lr-a');
    expect(await ingest.store(batch)).toMatchObject({ inserted: 3 });
    await ingest.store(events(tenant, 'lr-b'));
    expect((await digests.window(tenant, 0, 10)).map((d) => [d.seq, d.event_ids[0]])).toEqual([
      [1, 'lr-0-0'],
      [2, 'lr-a-0'],
      [3, 'lr-b-0'],
    ]);
    expect(await verify(tenant)).toEqual({ ok: true, checked_batches: 3, checked_events: 9 });
  });
});

describe('a digest that still fails after the last attempt', () => {
  const verify = (tenant: string) => new ChainVerifier(client, tables, keyring).verify({ tenant });
  const events = (tenant: string, tag: string) => Array.from({ length: 3 }, (_, i) => agentAction({ event_id: `${tag}-${i}`, tenant }));
  // ingestService retries a digest 3 times in all.
  const allAttempts: ('refused' | 'lostReply')[] = ['refused', 'refused', 'refused'];

  it('fails the store, and the redelivery of the same events, found stored, is answered only once their digest is chained', async () => {
    const digests = new FailingDigests(client, tables);
    const metrics = new IngestMetrics();
    const ingest = ingestService(undefined, metrics, digests);
    const tenant = `owed-${Date.now()}`;
    const first = events(tenant, 'ow-a');
    digests.failures = [...allAttempts];
    await expect(ingest.store(first)).rejects.toThrow('connection refused');
    expect(metrics.snapshot().owed_digests).toEqual({ [tenant]: 1 });
    // Still failing: the redelivery is not acknowledged either.
    digests.failures = [...allAttempts];
    await expect(ingest.store(first)).rejects.toThrow('connection refused');
    expect(await ingest.store(first)).toMatchObject({ inserted: 0, alreadyStored: 3 });
    expect(metrics.snapshot().owed_digests).toEqual({});
    expect((await digests.window(tenant, 0, 10)).map((d) => d.event_ids)).toEqual([ids(first)]);
    expect(await verify(tenant)).toEqual({ ok: true, checked_batches: 1, checked_events: 3 });
  });

  it('is chained before the tenant’s next batch, in the order the rows were written', async () => {
    const digests = new FailingDigests(client, tables);
    const ingest = ingestService(undefined, undefined, digests);
    const tenant = `owed-next-${Date.now()}`;
    const [first, second] = [events(tenant, 'on-a'), events(tenant, 'on-b')];
    digests.failures = [...allAttempts];
    await expect(ingest.store(first)).rejects.toThrow('connection refused');
    expect(await ingest.store(second)).toMatchObject({ inserted: 3 });
    expect((await digests.window(tenant, 0, 10)).map((d) => d.event_ids)).toEqual([ids(first), ids(second)]);
    expect(await verify(tenant)).toEqual({ ok: true, checked_batches: 2, checked_events: 6 });
  });

  it('is chained once when its last failed insert had landed all the same', async () => {
    const digests = new FailingDigests(client, tables);
    const ingest = ingestService(undefined, undefined, digests);
    const tenant = `owed-landed-${Date.now()}`;
    const first = events(tenant, 'ol-a');
    digests.failures = ['refused', 'refused', 'lostReply'];
    await expect(ingest.store(first)).rejects.toThrow('socket hang up');
    expect(await ingest.store(first)).toMatchObject({ inserted: 0, alreadyStored: 3 });
    expect((await digests.window(tenant, 0, 10)).map((d) => [d.seq, d.event_ids[0]])).toEqual([[1, 'ol-a-0']]);
    expect(await verify(tenant)).toEqual({ ok: true, checked_batches: 1, checked_events: 3 });
  });
});

describe('the steps that follow storage (detection)', () => {
  it('see every stored event once, in store order; stores queued while they run are handed over together', async () => {
    const ingest = ingestService();
    const follower = heldFollower();
    ingest.addAfterStoreHook('probe', follower.hook);
    const [a, b, c] = [batch('a', 3), batch('b', 2), batch('c', 4)];

    await ingest.store(a, { followers: 'queued' });
    await ingest.store(b, { followers: 'queued' });
    await ingest.store(c, { followers: 'queued' });
    expect(follower.runs).toEqual([ids(a)]);

    follower.release();
    await ingest.drainFollowers();
    expect(follower.runs).toEqual([ids(a), [...ids(b), ...ids(c)]]);
  });

  it('bound the detection checkpoint: a stored batch counts as unfollowed until its step has run', async () => {
    const ingest = ingestService();
    const follower = heldFollower();
    ingest.addAfterStoreHook('probe', follower.hook);
    expect(ingest.oldestUnfollowed()).toBeNull();

    const first = await ingest.store(batch('d', 2), { followers: 'queued' });
    await ingest.store(batch('e', 2), { followers: 'queued' });
    expect(ingest.oldestUnfollowed()).toEqual(first.ingestedAt);

    follower.release();
    await ingest.drainFollowers();
    expect(ingest.oldestUnfollowed()).toBeNull();
  });

  it('bound the detection checkpoint from the moment a write stamps its ingest time, before its insert is done', async () => {
    const actions = new GatedActions(client, tables);
    const ingest = ingestService(actions);
    ingest.addAfterStoreHook('probe', async () => {});
    actions.hold();
    const stored = ingest.store(batch('w', 2), { followers: 'queued' });
    await actions.insertStarted;
    // Another tenant's later batch could be followed now; a checkpoint must still stay before this one.
    const during = ingest.oldestUnfollowed();
    expect(during).not.toBeNull();

    actions.open();
    expect((await stored).ingestedAt).toEqual(during);
    await ingest.drainFollowers();
    expect(ingest.oldestUnfollowed()).toBeNull();
  });

  it('by default, a store resolves only once its events have been followed', async () => {
    const ingest = ingestService();
    const follower = heldFollower();
    ingest.addAfterStoreHook('probe', follower.hook);
    let resolved = false;
    const stored = ingest.store(batch('f', 2)).then((o) => ((resolved = true), o));
    await new Promise((r) => setTimeout(r, 300));
    expect(follower.runs).toHaveLength(1);
    expect(resolved).toBe(false);

    follower.release();
    expect((await stored).inserted).toBe(2);
  });

  it('tell before-insert steps of the new events of a write while its insert is still under way', async () => {
    const actions = new GatedActions(client, tables);
    const ingest = ingestService(actions);
    const told: string[][] = [];
    ingest.addBeforeInsertHook('probe', (events) => void told.push(ids(events)));
    ingest.addBeforeInsertHook('broken', () => {
      throw new Error('a step that throws does not stop the write');
    });
    const [old, fresh] = [batch('bi-old', 1), batch('bi-new', 2)];
    await ingest.store(old);
    told.length = 0;

    actions.hold();
    const stored = ingest.store([...old, ...fresh]);
    await actions.insertStarted;
    expect(told).toEqual([ids(fresh)]);

    actions.open();
    expect(await stored).toMatchObject({ inserted: 2, alreadyStored: 1 });
  });

  it('hands nothing to followers for events the log already had', async () => {
    const ingest = ingestService();
    const seen: string[][] = [];
    ingest.addAfterStoreHook('probe', async (events) => void seen.push(ids(events)));
    const g = batch('g', 3);
    await ingest.store(g);
    const again = await ingest.store(g);
    expect(again).toMatchObject({ inserted: 0, alreadyStored: 3 });
    expect(seen).toEqual([ids(g)]);
  });

  describe('a step that hands the next run over before it is done with its own (detection: alerts and writes after the rules)', () => {
    it('gets the next run while the earlier one is still settling', async () => {
      const ingest = ingestService();
      const follower = handingOverFollower();
      ingest.addAfterStoreHook('probe', follower.hook);
      const [a, b] = [batch('ho-a', 2), batch('ho-b', 3)];

      await ingest.store(a, { followers: 'queued' });
      await until(() => follower.runs.length === 1, 'the first run started');
      await ingest.store(b, { followers: 'queued' });
      await until(() => follower.runs.length === 2, 'the second run started');

      expect(follower.runs).toEqual([ids(a), ids(b)]);
      follower.settle.forEach((settle) => settle());
      await ingest.drainFollowers();
    });

    it('keeps the checkpoint before a run until it has settled, even when a later run settled first', async () => {
      const ingest = ingestService();
      const follower = handingOverFollower();
      ingest.addAfterStoreHook('probe', follower.hook);
      const first = await ingest.store(batch('ho-c', 2), { followers: 'queued' });
      await until(() => follower.runs.length === 1, 'the first run started');
      await ingest.store(batch('ho-d', 2), { followers: 'queued' });
      await until(() => follower.runs.length === 2, 'the second run started');

      follower.settle[1]();
      await tick();
      expect(ingest.oldestUnfollowed()).toEqual(first.ingestedAt);

      follower.settle[0]();
      await ingest.drainFollowers();
      expect(ingest.oldestUnfollowed()).toBeNull();
    });

    it('makes a store that waits for its followers wait until the run has settled', async () => {
      const ingest = ingestService();
      const follower = handingOverFollower();
      ingest.addAfterStoreHook('probe', follower.hook);
      let resolved = false;
      const stored = ingest.store(batch('ho-e', 2)).then((o) => ((resolved = true), o));
      await until(() => follower.runs.length === 1, 'the run started');
      await tick();
      expect(resolved).toBe(false);

      follower.settle[0]();
      expect((await stored).inserted).toBe(2);
    });

    it('counts a run that settles with a failure as that step failing, and ingestion goes on', async () => {
      const metrics = new IngestMetrics();
      const ingest = ingestService(undefined, metrics);
      const follower = handingOverFollower();
      ingest.addAfterStoreHook('probe', follower.hook);
      const stored = ingest.store(batch('ho-f', 2));
      await until(() => follower.settle.length === 1, 'the run started');
      follower.settle[0](new Error('the detections could not be written'));

      expect((await stored).inserted).toBe(2);
      expect(metrics.snapshot().after_store_failures).toEqual({ probe: 1 });
    });

    it('holds the next run back while eight earlier runs are still settling, so unfinished work stays bounded', async () => {
      const ingest = ingestService();
      const follower = handingOverFollower();
      ingest.addAfterStoreHook('probe', follower.hook);
      for (let i = 0; i < 9; i++) {
        await ingest.store(batch(`ho-h${i}`, 1), { followers: 'queued' });
        if (i < 8) await until(() => follower.runs.length === i + 1, `run ${i + 1} started`);
      }
      await tick();
      expect(follower.runs).toHaveLength(8);

      follower.settle[0]();
      await until(() => follower.runs.length === 9, 'the ninth run started');
      follower.settle.slice(1).forEach((settle) => settle());
      await ingest.drainFollowers();
    });

    it('lets shutdown wait for runs that are still settling', async () => {
      const ingest = ingestService();
      const follower = handingOverFollower();
      ingest.addAfterStoreHook('probe', follower.hook);
      await ingest.store(batch('ho-g', 2), { followers: 'queued' });
      await until(() => follower.runs.length === 1, 'the run started');
      let drained = false;
      const drain = ingest.drainFollowers().then(() => (drained = true));
      await tick();
      expect(drained).toBe(false);

      follower.settle[0]();
      await drain;
      expect(drained).toBe(true);
    });
  });

});
