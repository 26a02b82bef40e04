import { Inject, Injectable } from '@nestjs/common';
import { KeyedMutex, instantFromDate } from '@warden/common';
import { type AgentAction, checkAgentAction } from '@warden/contracts';
import {
  AgentActionRepository,
  type RejectedEvent,
  RejectedEventRepository,
  toAgentActionRow,
} from '@warden/storage';
import { LOGGER, type Logger } from '@warden/telemetry';
import type { DecodedEvent } from '../decoding/event-batch.decoder.js';
import type { IngestRejection, IngestResult } from './ingest-result.js';
import { normalise } from './normalise.js';

export interface BatchOrigin {
  transport: 'http' | 'kafka';
  /** Names where the batch came from, for the rejected-events table (request id, topic/partition@offset). */
  describe: (index: number) => string;
}

/**
 * validate → normalise → dedupe → store: the one ingest path every
 * transport uses. It resolves only once everything it was given is durably
 * stored (accepted events in the log, invalid ones in rejected_events), so
 * a transport may acknowledge exactly when this promise resolves.
 */
@Injectable()
export class IngestService {
  // Check-then-insert must not interleave for one tenant, or two requests
  // carrying the same event_id could both see it as new.
  private readonly perTenant = new KeyedMutex();

  constructor(
    @Inject(AgentActionRepository) private readonly actions: AgentActionRepository,
    @Inject(RejectedEventRepository) private readonly rejections: RejectedEventRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async ingest(tenant: string, batch: DecodedEvent[], origin: BatchOrigin): Promise<IngestResult> {
    const rejected: IngestRejection[] = [];
    const toStoreRejected: RejectedEvent[] = [];
    const fresh = new Map<string, AgentAction>();
    let duplicates = 0;

    batch.forEach((item, index) => {
      const check = checkAgentAction(item.value, Buffer.byteLength(item.raw, 'utf8'));
      let errors = check.ok ? [] : check.errors;
      if (check.ok && check.event.tenant !== tenant) {
        errors = [{ path: 'tenant', message: `expected "${tenant}", the tenant of the credential that sent it` }];
      }
      if (errors.length > 0) {
        const event_id = check.ok ? check.event.event_id : check.event_id;
        rejected.push({ index, event_id, errors });
        toStoreRejected.push({ tenant, transport: origin.transport, origin: origin.describe(index), event_id, errors, raw: item.raw });
        return;
      }
      if (!check.ok) return;
      if (fresh.has(check.event.event_id)) {
        duplicates++;
        return;
      }
      fresh.set(check.event.event_id, normalise(check.event));
    });

    const stored = await this.perTenant.run(tenant, async () => {
      const existing = await this.actions.findExistingIds(tenant, [...fresh.keys()]);
      const now = instantFromDate(new Date());
      const rows = [...fresh.values()].filter((e) => !existing.has(e.event_id)).map((e) => toAgentActionRow(e, now));
      await Promise.all([this.actions.insert(rows), this.rejections.insert(toStoreRejected, now)]);
      return { inserted: rows.length, alreadyStored: existing.size };
    });

    const result = { accepted: stored.inserted, duplicates: duplicates + stored.alreadyStored, rejected };
    this.logger.debug(
      { tenant, transport: origin.transport, received: batch.length, accepted: result.accepted, duplicates: result.duplicates, rejected: rejected.length },
      'batch ingested',
    );
    return result;
  }
}
