import { Inject, Injectable } from '@nestjs/common';
import { type UtcInstant, compareInstants, instantFromDate, toClickHouseDateTime64 } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { type DigestInput, DigestWriter, digestInputFromRow } from '@warden/integrity';
import { AGENT_ACTION_COLUMNS, type AgentActionRow, AgentActionRepository, RejectedEventRepository, storedEventKey, toAgentActionRow } from '@warden/storage';
import { LOGGER, type Logger, inSpan } from '@warden/telemetry';
import { WARDEN_CONFIG, type WardenConfig } from '@warden/config';
import type { DecodedEvent } from '../decoding/event-batch.decoder.js';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import type { IngestResult } from './ingest-result.js';
import { redactText } from '../redaction/index.js';
import { validateBatch } from './validate-batch.js';
import { GroupCommit } from './group-commit.js';
import { TenantWrites } from './tenant-writes.js';

const OCCURRED_AT = AGENT_ACTION_COLUMNS.indexOf('occurred_at');
const INGESTED_AT = AGENT_ACTION_COLUMNS.indexOf('ingested_at');
/** Rows are built before the ingest time is known; it is stamped in the critical section. */
const PENDING_INGEST_TIME = '';

/** Stored events that may wait for their followers (detection) before a queued store waits for them. */
const MAX_QUEUED_FOLLOWER_EVENTS = 50_000;

/** A group commit stops growing here: one insert of at most this many rows (one batch alone may be larger). */
const MAX_GROUP_EVENTS = 50_000;

/**
 * Runs of the followers that have handed the next batch over but are not done
 * with their own (detection's alerts and writes): past this many, the next
 * run waits for the oldest, so unfinished work cannot pile up.
 */
const MAX_SETTLING_RUNS = 8;

/**
 * Urgent batches skip the pacing at most twice at once and once a second
 * after that, per tenant. A rule that fires all the time would otherwise
 * unpace every write: at 5,000 events/s with one event in 500 firing, Warden
 * wrote 645 inserts a run against 294 and used 1.12 cores against 0.73.
 * Past the budget an urgent batch waits at most the interval, as before.
 */
const EARLY_WRITES = { burst: 2, everyMs: 1_000 };

interface PreparedEvent {
  event: AgentAction;
  row: AgentActionRow;
  digest: DigestInput;
}

/**
 * A submission's dedupe check, started when it is submitted rather than when
 * its group is written, so the check overlaps the writes ahead of it instead
 * of adding to the tenant's serial path. It cannot see rows of writes that
 * had not finished when it started: its write also looks at what those
 * stored (TenantWrites).
 */
interface EarlyCheck {
  /** The tenant's finished writes when the check started: writes from this one on may not show in it. */
  after: number;
  /** storedEventKey of the submission's events the log had; null if the check failed (the write asks again). */
  stored: Promise<Set<string> | null>;
}

/** Stored events waiting for the steps that follow storage. */
interface Unfollowed {
  events: AgentAction[];
  ingestedAt: UtcInstant;
  followed: () => void;
}

interface TenantWrite {
  stored: AgentAction[];
  alreadyStored: number;
  ingestedAt: UtcInstant;
  /** Resolves once the write's digest is chained and stored; until then the write is not acknowledged. */
  digested: Promise<void>;
  /** Resolves once the steps that follow storage ran for the write's events. */
  followed: Promise<void>;
}

function prepare(event: AgentAction): PreparedEvent {
  const row = toAgentActionRow(event, PENDING_INGEST_TIME);
  return { event, row, digest: digestInputFromRow(row) };
}

/**
 * A step that follows storage (detection, for one). It sees each newly stored
 * event once, in the ingest path, one run at a time in store order; its
 * failure is its own: ingestion goes on. By default a run is over when its
 * promise resolves. A step whose run has a part that need not hold up the
 * next one (detection: the alerts and writes that follow the rules) resolves
 * with `{ settled }` once the next run may start, and `settled` once this one
 * is over; what it left for `settled` must keep its own order.
 */
export type AfterStoreHook = (events: AgentAction[], ingestedAt: UtcInstant) => Promise<void | AfterStoreHandOver>;

/**
 * Told of a write's new events (after the dedupe check) just before they are
 * inserted, to start reads that the steps after storage will need, so they
 * overlap the insert (detection: first-seen's history). It must not change
 * what those steps will find, should return at once, and must not throw: a
 * throw is logged and ignored. The insert may still fail.
 */
export type BeforeInsertHook = (events: AgentAction[]) => void;

/**
 * Asked of a tenant's share of a store while the write pacing holds it (at
 * most once): true if a step that follows storage may act on these events at once
 * (detection: an event some rule could fire on). Their dedupe check and write
 * then skip the pacing, so an alert does not wait for a fuller insert; the
 * rest of the traffic is still batched. It must be quick (it sees every
 * event); a throw counts as true.
 */
export type UrgencyTest = (events: readonly AgentAction[]) => boolean;

export interface AfterStoreHandOver {
  /** Settles once the run is over: only then are its events followed. A rejection counts as the step failing. */
  settled: Promise<void>;
}

export interface StoreOutcome {
  /** Events newly written to the log. */
  inserted: number;
  /** Events whose event_id the tenant already had. */
  alreadyStored: number;
  /** The events newly written, for the steps that follow storage (detection). */
  stored: AgentAction[];
  /** The ingest time written with them. */
  ingestedAt: UtcInstant;
}

/**
 * The store step every transport ends in: dedupe against the log, then
 * insert. It resolves only once the events are durably stored, so a
 * transport may acknowledge exactly when this promise resolves.
 */
@Injectable()
export class IngestService {
  // One writer per tenant: two writes deduping against each other's unwritten rows could
  // both take the same event_id as new. The log is asked early (checks, below), and each
  // write adds what the writes since its check stored (TenantWrites), so the check is
  // off the serial path without a redelivery slipping between a check and a write.
  private readonly commits: GroupCommit<PreparedEvent, TenantWrite>;
  /** Early dedupe checks, one lookup at a time per tenant, for all submissions that came meanwhile. */
  private readonly checks: GroupCommit<PreparedEvent, Set<string>>;
  private readonly afterStoreHooks: { name: string; hook: AfterStoreHook }[] = [];
  private readonly beforeInsertHooks: { name: string; hook: BeforeInsertHook }[] = [];
  private readonly urgencyTests: { name: string; test: UrgencyTest }[] = [];
  /** Stored batches, in store order, whose followers have not started. */
  private queued: Unfollowed[] = [];
  /** Writes under way: their ingest time is stamped, their events not yet queued for followers. */
  private readonly writing = new Set<{ ingestedAt: UtcInstant }>();
  /** Those whose followers are running now. */
  private following: Unfollowed[] = [];
  /** Runs that handed the next batch over and are finishing their own, with the batches they hold. */
  private readonly settling = new Map<Promise<void>, Unfollowed[]>();
  private queuedEvents = 0;
  /** Each submission's early dedupe check, by its events (what GroupCommit hands back). */
  private readonly earlyChecks = new WeakMap<readonly PreparedEvent[], EarlyCheck>();
  private readonly tenantWrites = new Map<string, TenantWrites>();
  /** The follower loop, while it runs; it never rejects (runAfterStore does not). */
  private followerLoop: Promise<void> | null = null;

  constructor(
    @Inject(AgentActionRepository) private readonly actions: AgentActionRepository,
    @Inject(RejectedEventRepository) private readonly rejections: RejectedEventRepository,
    @Inject(IngestMetrics) private readonly metrics: IngestMetrics,
    @Inject(DigestWriter) private readonly digests: DigestWriter,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(WARDEN_CONFIG) config: Pick<WardenConfig, 'ingest'>,
  ) {
    metrics.observeOwedDigests(() => digests.owedBatches());
    this.commits = new GroupCommit((tenant, group) => this.writeGroup(tenant, group), MAX_GROUP_EVENTS, { minIntervalMs: config.ingest.minWriteIntervalMs, early: EARLY_WRITES });
    // Paced like the writes: a lookup of a few hundred ids costs the engine about as much as
    // one of a thousand (it reads the event_id column of the recent parts either way), so more
    // than one per write is waste. A write whose batches' check still waits out that pacing starts it.
    this.checks = new GroupCommit(
      async (tenant, group) => {
        const stored = await this.findStored(tenant, group);
        return group.map(() => stored);
      },
      MAX_GROUP_EVENTS,
      { minIntervalMs: config.ingest.minWriteIntervalMs, early: EARLY_WRITES },
    );
  }

  /** Registers a step to run on every batch of newly stored events (detection registers itself here). */
  addAfterStoreHook(name: string, hook: AfterStoreHook): void {
    this.afterStoreHooks.push({ name, hook });
  }

  /** Registers a step told of each write's new events before their insert (detection's early history reads). */
  addBeforeInsertHook(name: string, hook: BeforeInsertHook): void {
    this.beforeInsertHooks.push({ name, hook });
  }

  /** Registers a test that lets events skip the write pacing (detection: events a rule could fire on). */
  addUrgencyTest(name: string, test: UrgencyTest): void {
    this.urgencyTests.push({ name, test });
  }

  /**
   * Stores valid, normalised events (several tenants allowed), each event_id
   * at most once per tenant. By default it resolves once the steps that
   * follow storage (detection) have run too. With `followers: 'queued'` it
   * resolves as soon as the events are durably stored and leaves those steps
   * queued behind earlier ones (Kafka: the offset may move on while detection
   * runs, because detection catches up from storage after a crash); the
   * queue is bounded, so a slow follower still slows ingest down rather than
   * piling up.
   */
  store(events: AgentAction[], options: { followers?: 'awaited' | 'queued' } = {}): Promise<StoreOutcome> {
    return inSpan('ingest.store', { 'warden.events': events.length }, () => this.storeInSpan(events, options.followers ?? 'awaited'));
  }

  /**
   * The earliest ingest time among batches being written or stored whose
   * followers have not finished, or null. A follower that checkpoints its progress in ingest
   * time (detection) must not claim anything from here on as done: batches
   * of different tenants are written side by side, so a later one can be
   * followed before an earlier one.
   */
  oldestUnfollowed(): UtcInstant | null {
    let oldest: UtcInstant | null = null;
    for (const { ingestedAt } of [...this.writing, ...this.following, ...[...this.settling.values()].flat(), ...this.queued]) {
      if (oldest === null || compareInstants(ingestedAt, oldest) < 0) oldest = ingestedAt;
    }
    return oldest;
  }

  /** Resolves once every queued follower step has run and settled (shutdown). */
  async drainFollowers(): Promise<void> {
    while (this.followerLoop || this.settling.size > 0) {
      if (this.followerLoop) await this.followerLoop;
      else await Promise.all(this.settling.keys());
    }
  }

  private async storeInSpan(events: AgentAction[], followers: 'awaited' | 'queued'): Promise<StoreOutcome> {
    const byTenant = new Map<string, AgentAction[]>();
    for (const e of events) {
      const list = byTenant.get(e.tenant);
      if (list) list.push(e);
      else byTenant.set(e.tenant, [e]);
    }
    const outcome: StoreOutcome = { inserted: 0, alreadyStored: 0, stored: [], ingestedAt: instantFromDate(new Date()) };
    const written = await Promise.all(
      [...byTenant].map(([tenant, tenantEvents]) => {
        // The CPU-heavy part (flattening, canonical payloads, their hashes) runs
        // before joining the tenant's queue, so one batch is prepared while another is written.
        const prepared = tenantEvents.map(prepare);
        // Asked by the check or the write, whichever the pacing holds first; the other reuses the answer.
        let judged: boolean | undefined;
        const urgent = () => (judged ??= this.isUrgent(tenantEvents));
        this.earlyChecks.set(prepared, this.checkEarly(tenant, prepared, urgent));
        return this.commits.submit(tenant, prepared, { urgent });
      }),
    );
    // Durable means chained too: nothing is acknowledged before its digest is stored.
    await Promise.all(written.map((w) => w.digested));
    for (const [i, w] of written.entries()) {
      outcome.inserted += w.stored.length;
      outcome.alreadyStored += w.alreadyStored;
      outcome.stored.push(...w.stored);
      // Several tenants: the latest of their writes, after which all of this batch is stored.
      if (i === 0 || compareInstants(w.ingestedAt, outcome.ingestedAt) > 0) outcome.ingestedAt = w.ingestedAt;
    }
    this.metrics.recordStored(outcome.inserted, outcome.alreadyStored);
    if (followers === 'awaited' || this.queuedEvents > MAX_QUEUED_FOLLOWER_EVENTS) await Promise.all(written.map((w) => w.followed));
    return outcome;
  }

  /**
   * Queues stored events for the steps that follow storage; resolves once
   * those ran for them. Followers see events in the order they were stored,
   * and everything queued while they run is handed to them next, at once:
   * their cost per run (a detection's queries and writes) is paid per run,
   * not per batch, so many small stores do not queue up behind each other.
   */
  private follow(events: AgentAction[], ingestedAt: UtcInstant): Promise<void> {
    return new Promise((followed) => {
      this.queued.push({ events, ingestedAt, followed });
      this.queuedEvents += events.length;
      this.followerLoop ??= this.runFollowers();
    });
  }

  private async runFollowers(): Promise<void> {
    while (this.queued.length > 0) {
      this.following = this.queued;
      this.queued = [];
      const events = this.following.length === 1 ? this.following[0].events : this.following.flatMap((u) => u.events);
      this.queuedEvents -= events.length;
      // All of them are stored by the latest of their ingest times, which is what a follower may checkpoint once done.
      let ingestedAt = this.following[0].ingestedAt;
      for (const u of this.following) if (compareInstants(u.ingestedAt, ingestedAt) > 0) ingestedAt = u.ingestedAt;
      const { settled } = await this.runAfterStore(events, ingestedAt);
      const run = this.following;
      this.following = [];
      // The next run may start now; these events count as followed once this one has settled.
      const done = settled.then(() => {
        this.settling.delete(done);
        for (const u of run) u.followed();
      });
      this.settling.set(done, run);
      if (this.settling.size >= MAX_SETTLING_RUNS) await Promise.race(this.settling.keys());
    }
    this.followerLoop = null;
  }

  private isUrgent(events: readonly AgentAction[]): boolean {
    for (const { name, test } of this.urgencyTests) {
      let urgent: boolean;
      try {
        urgent = test(events);
      } catch (error) {
        this.logger.warn({ step: name, events: events.length, err: error }, 'urgency test failed; the batch is written without pacing');
        urgent = true;
      }
      if (urgent) {
        this.metrics.recordUrgentBatch();
        return true;
      }
    }
    return false;
  }

  /** Asks the log which of a submission's events it has, now, while earlier writes are still under way. */
  private checkEarly(tenant: string, batch: PreparedEvent[], urgent: () => boolean): EarlyCheck {
    const after = this.writesOf(tenant).startCheck();
    // A failed check is asked again by the write; until then nothing waits on it.
    return { after, stored: this.checks.submit(tenant, batch, { urgent }).catch(() => null) };
  }

  /** The tenant's writes; kept while a check waits, so a write finds the one its checks started on. */
  private writesOf(tenant: string): TenantWrites {
    let writes = this.tenantWrites.get(tenant);
    if (!writes) this.tenantWrites.set(tenant, (writes = new TenantWrites()));
    return writes;
  }

  private findStored(tenant: string, batches: readonly (readonly PreparedEvent[])[]): Promise<Set<string>> {
    let from = '';
    let to = '';
    const ids: string[] = [];
    for (const batch of batches) {
      for (const { row, event } of batch) {
        if (from === '' || row[OCCURRED_AT] < from) from = row[OCCURRED_AT];
        if (row[OCCURRED_AT] > to) to = row[OCCURRED_AT];
        ids.push(event.event_id);
      }
    }
    return ids.length === 0 ? Promise.resolve(new Set()) : this.actions.findStored(tenant, ids, { from, to });
  }

  /**
   * Whether each of the group's events is stored already: by its
   * submission's early check, and by what the writes that finished since
   * that check started stored. Where a check failed, or one of those writes
   * failed (its rows are unknown), the log is asked again now: every write
   * before this one has finished, so it answers for all of them.
   */
  private async storedAmong(tenant: string, group: readonly PreparedEvent[][], checks: readonly EarlyCheck[], writes: TenantWrites): Promise<((key: string) => boolean)[]> {
    // Per submission: what its check found and what the writes since stored, or null where either is unknown.
    const answers: ({ found: Set<string>; since: ReadonlySet<string>[] } | null)[] = [];
    for (const early of checks) {
      const found = await early.stored;
      const since = writes.storedSince(early.after);
      answers.push(found && since ? { found, since } : null);
    }
    const askAgain = group.filter((_, i) => answers[i] === null);
    const now = askAgain.length > 0 ? await this.findStored(tenant, askAgain) : new Set<string>();
    return answers.map((a) => (a === null ? (key) => now.has(key) : (key) => a.found.has(key) || a.since.some((w) => w.has(key))));
  }

  /**
   * One write of a tenant's group: dedupe against the log (each
   * submission's early check, and what the writes since it stored) and
   * within the group, stamp the ingest time, insert, chain the digest. Runs
   * for one tenant at a time (GroupCommit), so no two writes of a tenant
   * dedupe against each other's unwritten rows, and the chain gets batches in
   * the order they were written. The write is over once its rows are in:
   * the tenant's next write does not wait for the digest, which the chain
   * stores in call order while the next write goes on.
   */
  private async writeGroup(tenant: string, group: readonly PreparedEvent[][]): Promise<TenantWrite[]> {
    const started = performance.now();
    // This write waits for its batches' checks: one still waiting out its pacing would only add to that.
    this.checks.expedite(tenant);
    const writes = this.writesOf(tenant);
    const checks = group.map((batch) => {
      const early = this.earlyChecks.get(batch);
      if (!early) throw new Error('a submission reached its write without a dedupe check');
      this.earlyChecks.delete(batch);
      return early;
    });
    let written: ReadonlySet<string> | null = null;
    try {
      return await this.writeChecked(tenant, group, checks, writes, started, (keys) => (written = keys));
    } finally {
      for (const early of checks) writes.checkUsed(early.after);
      // What this write stored answers, for every check that started before it finished, what that check could not see.
      writes.writeFinished(written);
      if (writes.idle) this.tenantWrites.delete(tenant);
    }
  }

  private async writeChecked(
    tenant: string,
    group: readonly PreparedEvent[][],
    checks: readonly EarlyCheck[],
    writes: TenantWrites,
    started: number,
    onStored: (keys: ReadonlySet<string>) => void,
  ): Promise<TenantWrite[]> {
    const isStored = await this.storedAmong(tenant, group, checks, writes);
    const inGroup = new Set<string>();
    const fresh = group.map((batch, i) =>
      batch.filter(({ event, row }) => {
        if (isStored[i](storedEventKey(event.event_id, row[OCCURRED_AT])) || inGroup.has(event.event_id)) return false;
        // Within one write an event_id is taken once, whatever its time: a digest batch names each event_id once.
        inGroup.add(event.event_id);
        return true;
      }),
    );
    const rows = fresh.flat();
    const now = instantFromDate(new Date());
    const ingestedAt = toClickHouseDateTime64(now);
    for (const p of rows) p.row[INGESTED_AT] = ingestedAt;
    // From the moment rows carry this ingest time until they are queued for detection, a
    // checkpoint must stay before it, or a crash in between would leave them unevaluated.
    const writing = { ingestedAt: now };
    this.writing.add(writing);
    let followed: Promise<void>;
    const stored = fresh.map((batch) => batch.map((p) => p.event));
    const storedEvents = stored.flat();
    if (rows.length > 0) this.beforeInsert(storedEvents);
    try {
      await this.actions.insert(rows.map((p) => p.row));
      onStored(new Set(rows.map((p) => storedEventKey(p.event.event_id, p.row[OCCURRED_AT]))));
      // Stored: detection may start now, while the digest is chained. The write as a whole
      // (and so the acknowledgement) still waits for the digest.
      followed = rows.length > 0 ? this.follow(storedEvents, now) : Promise.resolve();
    } finally {
      this.writing.delete(writing);
    }
    // Queued on the tenant's chain now, before anything else is awaited: the chain takes writes in this order.
    const digested = this.digests.append(tenant, rows.map((p) => p.digest), now).then(() => {
      this.metrics.recordInsert(rows.length, performance.now() - started);
    });
    // store() awaits it; this only keeps a failure that store() stopped waiting for from going unhandled.
    digested.catch(() => {});
    return group.map((batch, i) => ({ stored: stored[i], alreadyStored: batch.length - fresh[i].length, ingestedAt: now, digested, followed }));
  }

  private beforeInsert(events: AgentAction[]): void {
    for (const { name, hook } of this.beforeInsertHooks) {
      try {
        hook(events);
      } catch (error) {
        this.logger.warn({ step: name, events: events.length, err: error }, 'before-insert step failed; the write goes on');
      }
    }
  }

  /** Runs each step in turn until it hands over; `settled` (never rejecting) once all of them are over. */
  private async runAfterStore(events: AgentAction[], ingestedAt: UtcInstant): Promise<AfterStoreHandOver> {
    const settling: Promise<void>[] = [];
    const failed = (name: string) => (error: unknown) => {
      // The events are stored; a failing follower must not fail (and so redeliver) the batch.
      this.metrics.recordAfterStoreFailure(name);
      this.logger.error({ step: name, events: events.length, err: error }, 'after-store step failed');
    };
    for (const { name, hook } of this.afterStoreHooks) {
      try {
        const handOver = await inSpan(`after-store.${name}`, { 'warden.events': events.length }, () => hook(events, ingestedAt));
        if (handOver) settling.push(handOver.settled.catch(failed(name)));
      } catch (error) {
        failed(name)(error);
      }
    }
    return { settled: Promise.all(settling).then(() => undefined) };
  }

  /** The HTTP path: validate against the caller's tenant, store the valid, keep the invalid in rejected_events. */
  ingest(tenant: string, batch: DecodedEvent[], origin: { requestId: string }): Promise<IngestResult> {
    return inSpan('ingest.http', { 'warden.tenant': tenant, 'warden.events': batch.length }, () => this.ingestInSpan(tenant, batch, origin));
  }

  private async ingestInSpan(tenant: string, batch: DecodedEvent[], origin: { requestId: string }): Promise<IngestResult> {
    const validated = await inSpan('ingest.validate', { 'warden.events': batch.length }, async () => validateBatch(batch, tenant));
    this.metrics.recordReceived('http', batch.length);
    this.metrics.recordRedactions(validated.redactions);
    const [stored] = await Promise.all([
      this.store(validated.events),
      this.rejections.insert(
        validated.rejected.map((r) => ({
          tenant,
          transport: 'http' as const,
          origin: `http request ${origin.requestId} event ${r.index}`,
          event_id: r.event_id,
          errors: r.errors,
          // Invalid events are kept for diagnosis, with secrets masked like stored ones.
          raw: redactText(r.raw).text,
        })),
        instantFromDate(new Date()),
      ),
    ]);
    this.metrics.recordRejected('http', 'contract', validated.rejected.length);
    this.metrics.recordStored(0, validated.repeats);
    const result: IngestResult = {
      accepted: stored.inserted,
      duplicates: stored.alreadyStored + validated.repeats,
      rejected: validated.rejected.map(({ index, event_id, errors }) => ({ index, event_id, errors })),
    };
    this.logger.debug(
      { tenant, transport: 'http', received: batch.length, accepted: result.accepted, duplicates: result.duplicates, rejected: result.rejected.length },
      'batch ingested',
    );
    return result;
  }
}
