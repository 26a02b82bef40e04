import { Inject, Injectable } from '@nestjs/common';
import { KeyedMutex, type UtcInstant, instantFromDate } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { DigestWriter, digestInputFromRow } from '@warden/integrity';
import { AgentActionRepository, RejectedEventRepository, toAgentActionRow } from '@warden/storage';
import { LOGGER, type Logger, inSpan } from '@warden/telemetry';
import type { DecodedEvent } from '../decoding/event-batch.decoder.js';
import { IngestMetrics } from '../metrics/ingest-metrics.js';
import type { IngestResult } from './ingest-result.js';
import { redactText } from '../redaction/index.js';
import { validateBatch } from './validate-batch.js';

/**
 * A step that follows storage (detection, for one). It sees each newly stored
 * event once, in the ingest path; its failure is its own: ingestion goes on.
 */
export type AfterStoreHook = (events: AgentAction[], ingestedAt: UtcInstant) => Promise<void>;

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
  // Check-then-insert must not interleave for one tenant, or two batches
  // carrying the same event_id could both see it as new.
  private readonly perTenant = new KeyedMutex();
  private readonly afterStoreHooks: { name: string; hook: AfterStoreHook }[] = [];

  constructor(
    @Inject(AgentActionRepository) private readonly actions: AgentActionRepository,
    @Inject(RejectedEventRepository) private readonly rejections: RejectedEventRepository,
    @Inject(IngestMetrics) private readonly metrics: IngestMetrics,
    @Inject(DigestWriter) private readonly digests: DigestWriter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Registers a step to run on every batch of newly stored events (detection registers itself here). */
  addAfterStoreHook(name: string, hook: AfterStoreHook): void {
    this.afterStoreHooks.push({ name, hook });
  }

  /** Stores valid, normalised events (several tenants allowed), each event_id at most once per tenant. */
  store(events: AgentAction[]): Promise<StoreOutcome> {
    return inSpan('ingest.store', { 'warden.events': events.length }, () => this.storeInSpan(events));
  }

  private async storeInSpan(events: AgentAction[]): Promise<StoreOutcome> {
    const byTenant = new Map<string, AgentAction[]>();
    for (const e of events) {
      const list = byTenant.get(e.tenant);
      if (list) list.push(e);
      else byTenant.set(e.tenant, [e]);
    }
    const outcome: StoreOutcome = { inserted: 0, alreadyStored: 0, stored: [], ingestedAt: instantFromDate(new Date()) };
    for (const [tenant, tenantEvents] of byTenant) {
      await this.perTenant.run(tenant, async () => {
        const started = performance.now();
        const existing = await this.actions.findExistingIds(
          tenant,
          tenantEvents.map((e) => e.event_id),
        );
        const fresh = tenantEvents.filter((e) => !existing.has(e.event_id));
        const now = instantFromDate(new Date());
        const rows = fresh.map((e) => toAgentActionRow(e, now));
        await this.actions.insert(rows);
        // Same critical section: the tenant's chain gets this batch's digest before the next batch.
        await this.digests.append(tenant, rows.map(digestInputFromRow), now);
        this.metrics.recordInsert(fresh.length, performance.now() - started);
        outcome.inserted += fresh.length;
        outcome.alreadyStored += tenantEvents.length - fresh.length;
        outcome.stored.push(...fresh);
        outcome.ingestedAt = now;
      });
    }
    this.metrics.recordStored(outcome.inserted, outcome.alreadyStored);
    if (outcome.stored.length > 0) await this.runAfterStore(outcome.stored, outcome.ingestedAt);
    return outcome;
  }

  private async runAfterStore(events: AgentAction[], ingestedAt: UtcInstant): Promise<void> {
    for (const { name, hook } of this.afterStoreHooks) {
      try {
        await inSpan(`after-store.${name}`, { 'warden.events': events.length }, () => hook(events, ingestedAt));
      } catch (error) {
        // The events are stored; a failing follower must not fail (and so redeliver) the batch.
        this.metrics.recordAfterStoreFailure(name);
        this.logger.error({ step: name, events: events.length, err: error }, 'after-store step failed');
      }
    }
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
