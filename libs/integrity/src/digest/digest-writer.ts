import { DomainError, KeyedMutex, type RetryPolicy, type UtcInstant, instantFromDate, isProgrammingError, parseRfc3339, retry, toClickHouseDateTime64 } from '@warden/common';
import { AGENT_ACTION_COLUMNS, type AgentActionRow } from '@warden/storage';
import { InvalidDigestBatchError } from '../integrity.errors.js';
import type { IntegrityKeyring } from '../keys/integrity-keyring.js';
import type { AuditKeyRepository } from '../keys/audit-key.repository.js';
import type { AuditDigestRepository, AuditDigestRow, ChainHead } from './audit-digest.repository.js';
import { canonicalJson } from '@warden/common';
import { type DigestedEvent, GENESIS_DIGEST, batchDigest, sha256Hex } from './batch-digest.js';

/** One stored event, as written to `agent_actions` (take them from the insert's rows). */
export interface DigestInput {
  event_id: string;
  /** The row's occurred_at: ClickHouse DateTime64(6) text, or RFC 3339 (normalised here to the former). */
  occurred_at: string;
  /** The row's payload column, byte for byte. */
  payload: string;
  /**
   * The event's hash when the caller already knows it: only for a payload
   * written as canonical JSON, whose hash is SHA-256 of the bytes as they
   * stand (see `digestInputFromRow`). Otherwise the payload is parsed and
   * canonicalised here.
   */
  hash?: string;
}

const EVENT_ID = AGENT_ACTION_COLUMNS.indexOf('event_id');
const OCCURRED_AT = AGENT_ACTION_COLUMNS.indexOf('occurred_at');
const PAYLOAD = AGENT_ACTION_COLUMNS.indexOf('payload');

/**
 * The digest's view of a row handed to `AgentActionRepository.insert`: digest
 * exactly what was written. `toAgentActionRow` writes the payload as canonical
 * JSON, so the event's hash is taken over those bytes directly; a spec holds
 * the two to the same hash.
 */
export function digestInputFromRow(row: AgentActionRow): DigestInput {
  return { event_id: row[EVENT_ID], occurred_at: row[OCCURRED_AT], payload: row[PAYLOAD], hash: sha256Hex(row[PAYLOAD]) };
}

const CLICKHOUSE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

/** How a failed digest insert is retried before `append` rejects. */
export interface DigestRetry {
  policy: RetryPolicy;
  /** Attempts in all (1: no retry). */
  maxAttempts: number;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Appends one signed digest per stored batch to its tenant's chain. Appends
 * for one tenant run one at a time, in call order; the chain head is kept in
 * memory and read from `audit_digests` the first time a tenant is seen.
 *
 * One writer per tenant chain: two processes appending to the same tenant
 * would fork it (both write seq N+1), which the verifier reports.
 */
export class DigestWriter {
  private readonly perTenant = new KeyedMutex();
  private readonly heads = new Map<string, ChainHead>();
  /** Tenants whose last insert failed: it may have landed all the same (a lost reply). */
  private readonly unsure = new Set<string>();
  /** Per tenant, batches whose rows are stored but whose digest failed for good, oldest first. */
  private readonly owed = new Map<string, { digested: DigestedEvent[]; ingestedAt: UtcInstant }[]>();
  private keyRegistered: Promise<void> | null = null;

  constructor(
    private readonly digests: AuditDigestRepository,
    private readonly keys: AuditKeyRepository,
    private readonly keyring: IntegrityKeyring,
    private readonly clock: () => Date = () => new Date(),
    private readonly retrying: DigestRetry = { policy: { initialMs: 100, maxMs: 2_000 }, maxAttempts: 1 },
  ) {}

  /**
   * Digests, signs and stores one batch of newly stored events of a tenant,
   * in the order they were inserted. `ingestedAt` is the instant written on
   * their rows. Returns the digest row, or null for an empty batch (nothing
   * new is chained; it still waits for the tenant's earlier batches). Safe
   * to call again after it failed: a batch whose insert landed despite the
   * failure is found and returned, not chained twice.
   *
   * A batch whose digest still fails after the last attempt is owed: its
   * rows are stored, and until a digest covers them the verifier reads them
   * as forged. The tenant's next append (an empty one too, such as the
   * redelivery of the same events, now found stored) chains what is owed
   * first, in the original order, and fails while it cannot: so nothing is
   * acknowledged while a digest is owed. Owed batches live in memory only;
   * a process that stops during a digest outage leaves them undigested.
   */
  async append(tenant: string, events: readonly DigestInput[], ingestedAt: UtcInstant): Promise<AuditDigestRow | null> {
    const digested = events.length === 0 ? null : digestEvents(tenant, events);
    // Into the tenant's queue before anything is awaited: appends are chained in call order.
    // An empty one too: it resolves once every earlier batch of the tenant is chained.
    return this.perTenant.run(tenant, async () => {
      const owed = this.owed.get(tenant) ?? [];
      if (digested) owed.push({ digested, ingestedAt });
      this.owed.set(tenant, owed);
      let row: AuditDigestRow | null = null;
      try {
        // Oldest first; a batch leaves the list only once its digest is stored.
        while (owed.length > 0) {
          row = await this.appendRetrying(tenant, owed[0].digested, owed[0].ingestedAt);
          owed.shift();
        }
      } finally {
        if (owed.length === 0) this.owed.delete(tenant);
      }
      return digested ? row : null;
    });
  }

  /** Batches whose digests are owed (failed after the last attempt, not yet chained), per tenant. */
  owedBatches(): Record<string, number> {
    return Object.fromEntries([...this.owed].map(([tenant, batches]) => [tenant, batches.length]));
  }

  // Retried while holding the tenant's chain, so a later batch never overtakes one that failed:
  // its rows are stored, and rows that no digest accounts for read as tampering to the verifier.
  private appendRetrying(tenant: string, digested: DigestedEvent[], ingestedAt: UtcInstant): Promise<AuditDigestRow> {
    return retry({
      policy: this.retrying.policy,
      maxAttempts: this.retrying.maxAttempts,
      isRetriable: (error) => !isProgrammingError(error) && !(error instanceof DomainError),
      onRetry: (error, attempt, delayMs) => this.retrying.onRetry?.(error, attempt, delayMs),
      task: () => this.appendOnce(tenant, digested, ingestedAt),
    });
  }

  private async appendOnce(tenant: string, digested: DigestedEvent[], ingestedAt: UtcInstant): Promise<AuditDigestRow> {
    await this.registerKeyOnce();
    const ingested_at = toClickHouseDateTime64(ingestedAt);
    if (this.unsure.has(tenant)) {
      // Appending this batch again after a failed insert: if that insert landed, the chain
      // has it already, and a second row would list its events twice.
      const landed = await this.digests.atIngestTime(tenant, ingested_at);
      this.unsure.delete(tenant);
      if (landed && sameEvents(landed.event_ids, digested)) {
        this.heads.set(tenant, { seq: landed.seq, digest: landed.digest });
        return landed;
      }
    }
    const head = this.heads.get(tenant) ?? (await this.digests.head(tenant)) ?? { seq: 0, digest: GENESIS_DIGEST };
    const seq = head.seq + 1;
    const digest = batchDigest({ tenant, seq, prev_digest: head.digest, ingested_at, events: digested });
    const occurred = digested.map((e) => e.occurred_at);
    const row: AuditDigestRow = {
      tenant,
      seq,
      prev_digest: head.digest,
      digest,
      signature: this.keyring.sign(Buffer.from(digest, 'hex')),
      key_id: this.keyring.keyId,
      event_count: digested.length,
      event_ids: digested.map((e) => e.event_id),
      event_occurred_at: occurred,
      event_hashes: digested.map((e) => e.hash),
      // Fixed-width text in UTC, so text order is time order.
      first_occurred_at: occurred.reduce((a, b) => (b < a ? b : a)),
      last_occurred_at: occurred.reduce((a, b) => (b > a ? b : a)),
      ingested_at,
      created_at: toClickHouseDateTime64(instantFromDate(this.clock())),
    };
    try {
      await this.digests.insert(row);
    } catch (error) {
      // The row may have landed even though the call failed (a lost reply):
      // read the head again next time instead of trusting memory, so a
      // retry never writes a second batch with the same seq.
      this.heads.delete(tenant);
      this.unsure.add(tenant);
      throw error;
    }
    this.heads.set(tenant, { seq, digest });
    return row;
  }

  /** Publishes the signing key's public half once per process, before its first digest. */
  private registerKeyOnce(): Promise<void> {
    this.keyRegistered ??= this.keys.register(this.keyring, this.clock()).catch((error: unknown) => {
      this.keyRegistered = null;
      throw error;
    });
    return this.keyRegistered;
  }
}

function sameEvents(stored: readonly string[], events: readonly DigestedEvent[]): boolean {
  return stored.length === events.length && stored.every((id, i) => id === events[i].event_id);
}

/** Hashes each event, refusing a batch that cannot be what was stored: these are wiring bugs, caught before anything is signed. */
function digestEvents(tenant: string, events: readonly DigestInput[]): DigestedEvent[] {
  const seen = new Set<string>();
  return events.map((e) => {
    if (seen.has(e.event_id)) throw new InvalidDigestBatchError(tenant, 'an event_id appears twice in one batch', e.event_id);
    seen.add(e.event_id);
    if (e.hash !== undefined) {
      // A canonical payload spells its own id and tenant: a cheap guard against digesting one row under another's name.
      if (!e.payload.includes(`"event_id":${JSON.stringify(e.event_id)}`)) throw new InvalidDigestBatchError(tenant, 'payload event_id differs from the row', e.event_id);
      if (!e.payload.includes(`"tenant":${JSON.stringify(tenant)}`)) throw new InvalidDigestBatchError(tenant, 'payload belongs to another tenant', e.event_id);
      return { event_id: e.event_id, occurred_at: toStoredTime(tenant, e), hash: e.hash };
    }
    let parsed: { event_id?: unknown; tenant?: unknown };
    try {
      parsed = JSON.parse(e.payload) as { event_id?: unknown; tenant?: unknown };
    } catch {
      throw new InvalidDigestBatchError(tenant, 'payload is not JSON', e.event_id);
    }
    if (parsed.event_id !== e.event_id) throw new InvalidDigestBatchError(tenant, 'payload event_id differs from the row', e.event_id);
    if (parsed.tenant !== tenant) throw new InvalidDigestBatchError(tenant, 'payload belongs to another tenant', e.event_id);
    // The same hash as eventHash(payload), without parsing the payload twice.
    return { event_id: e.event_id, occurred_at: toStoredTime(tenant, e), hash: sha256Hex(canonicalJson(parsed)) };
  });
}

function toStoredTime(tenant: string, e: DigestInput): string {
  if (CLICKHOUSE_TIME.test(e.occurred_at)) return e.occurred_at;
  try {
    return toClickHouseDateTime64(parseRfc3339(e.occurred_at));
  } catch {
    throw new InvalidDigestBatchError(tenant, `occurred_at is neither ClickHouse DateTime64(6) text nor RFC 3339: ${e.occurred_at}`, e.event_id);
  }
}
