import type { ClickHouseClient } from '@clickhouse/client';
import { instantFromDate, parseRfc3339, toClickHouseDateTime64 } from '@warden/common';
import type { TableNames } from '@warden/storage';
import { AuditDigestRepository, type AuditDigestRow } from '../digest/audit-digest.repository.js';
import { GENESIS_DIGEST, batchDigest } from '../digest/batch-digest.js';
import { INTEGRITY_TABLES } from '../integrity.migrations.js';
import type { IntegrityKeyring } from '../keys/integrity-keyring.js';
import { STORED_ROW_SELECT, type StoredRow, rowMismatch } from './stored-row.js';
import { CHAIN_BREAK_KINDS, type ChainBreak, type VerifyQuery, type VerifyResult } from './verify-result.js';

export interface ChainVerifierOptions {
  /** The configured retention (WARDEN_RETENTION_DAYS): a digested event older than this may be gone. 0 = kept forever. */
  retentionDays?: number;
  now?: () => Date;
}

/** Seqs read per round trip, and event ids per `IN` list: bounds memory on long chains and big batches. */
const SEQ_WINDOW = 200;
const IDS_PER_QUERY = 5_000;

interface Located {
  brk: ChainBreak;
  /** Position within the batch, so two row problems of one batch order by stored order. */
  index: number;
}

/**
 * Walks each tenant's chain in seq order and checks, for every batch: that
 * it follows the one before (seq and prev_digest), that its row still hashes
 * to its digest and the digest carries a valid signature by a trusted key,
 * and that every event it lists is in `agent_actions` exactly as signed.
 * Then that no row of `agent_actions` is left that no digest accounts for.
 *
 * Rows are read without FINAL, so a forged duplicate cannot hide behind
 * ReplacingMergeTree's read-time deduplication.
 */
export class ChainVerifier {
  private readonly digests: AuditDigestRepository;
  private readonly retentionDays: number;
  private readonly now: () => Date;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
    private readonly keyring: Pick<IntegrityKeyring, 'verify'>,
    options: ChainVerifierOptions = {},
  ) {
    this.digests = new AuditDigestRepository(client, tables);
    this.retentionDays = options.retentionDays ?? 0;
    this.now = options.now ?? (() => new Date());
  }

  async verify(query: VerifyQuery = {}): Promise<VerifyResult> {
    const range = {
      from: query.from === undefined ? undefined : toClickHouseDateTime64(parseRfc3339(query.from)),
      to: query.to === undefined ? undefined : toClickHouseDateTime64(parseRfc3339(query.to)),
    };
    const tenants = query.tenant !== undefined ? [query.tenant] : await this.allTenants();
    const result = { checked_batches: 0, checked_events: 0 };
    let first: Located | null = null;
    for (const tenant of tenants) {
      const found = await this.verifyTenant(tenant, range, result);
      // Tenants are walked in name order, so the first tenant with a break holds the first break.
      first ??= found;
    }
    return first ? { ok: false, ...result, first_break: first.brk } : { ok: true, ...result };
  }

  private async verifyTenant(
    tenant: string,
    range: { from?: string; to?: string },
    counts: { checked_batches: number; checked_events: number },
  ): Promise<Located | null> {
    const ranged = range.from !== undefined || range.to !== undefined;
    let first: Located | null = null;
    const report = (brk: Omit<ChainBreak, 'tenant'>, index = -1) => {
      const candidate = { brk: { tenant, ...brk }, index };
      if (first === null || earlier(candidate, first)) first = candidate;
    };

    const bounds = await this.digests.seqBounds(tenant, range);
    if (bounds !== null) {
      const multiListed = await this.multiListed(tenant);
      const cutoff = this.retentionCutoff();
      // A ranged check links its first batch to the one before the range, if any.
      let prev: AuditDigestRow | null = ranged && bounds.min > 1 ? await this.digests.before(tenant, bounds.min) : null;
      for (let after = bounds.min - 1; after < bounds.max; after += SEQ_WINDOW) {
        const window = await this.digests.window(tenant, after, Math.min(after + SEQ_WINDOW, bounds.max));
        const checked: AuditDigestRow[] = [];
        for (const row of window) {
          if (prev !== null && row.seq === prev.seq && sameRow(row, prev)) continue; // an identical copy of a batch changes nothing
          this.checkLink(row, prev, ranged, report);
          this.checkSealed(row, report);
          checked.push(row);
          if (prev === null || row.seq !== prev.seq) prev = row;
        }
        counts.checked_batches += checked.length;
        counts.checked_events += await this.checkEvents(tenant, checked, multiListed, cutoff, report);
      }
    }
    await this.checkUnaccounted(tenant, range, report);
    return first;
  }

  /** seq continuity and the prev_digest link. */
  private checkLink(row: AuditDigestRow, prev: AuditDigestRow | null, ranged: boolean, report: (b: Omit<ChainBreak, 'tenant'>) => void): void {
    if (prev === null) {
      if (!ranged && row.seq !== 1) {
        report({ seq: 1, kind: 'missing_batch', detail: `batches 1..${row.seq - 1} are missing: the chain starts at ${row.seq}` });
      } else if (row.seq === 1 && row.prev_digest !== GENESIS_DIGEST) {
        report({ seq: 1, kind: 'reordered_batch', detail: 'the first batch does not start from the genesis digest' });
      }
      return;
    }
    if (row.seq === prev.seq) {
      report({ seq: row.seq, kind: 'reordered_batch', detail: `two different batches claim seq ${row.seq} (a fork or a forged digest row)` });
    } else if (row.seq > prev.seq + 1) {
      const missing = prev.seq + 1 === row.seq - 1 ? `batch ${prev.seq + 1} is` : `batches ${prev.seq + 1}..${row.seq - 1} are`;
      report({ seq: prev.seq + 1, kind: 'missing_batch', detail: `${missing} missing: the chain jumps from ${prev.seq} to ${row.seq}` });
    } else if (row.prev_digest !== prev.digest) {
      report({ seq: row.seq, kind: 'reordered_batch', detail: `batch ${row.seq} does not continue from batch ${prev.seq}` });
    }
  }

  /** The row must still hash to its digest, and the digest carry a valid signature by a trusted key. */
  private checkSealed(row: AuditDigestRow, report: (b: Omit<ChainBreak, 'tenant'>) => void): void {
    const n = row.event_ids.length;
    const shaped =
      row.event_count === n &&
      row.event_hashes.length === n &&
      row.event_occurred_at.length === n &&
      n > 0 &&
      row.first_occurred_at === row.event_occurred_at.reduce((a, b) => (b < a ? b : a)) &&
      row.last_occurred_at === row.event_occurred_at.reduce((a, b) => (b > a ? b : a));
    const recomputed = shaped
      ? batchDigest({
          tenant: row.tenant,
          seq: row.seq,
          prev_digest: row.prev_digest,
          ingested_at: row.ingested_at,
          events: row.event_ids.map((event_id, i) => ({ event_id, occurred_at: row.event_occurred_at[i], hash: row.event_hashes[i] })),
        })
      : null;
    if (recomputed !== row.digest) {
      report({ seq: row.seq, kind: 'bad_signature', detail: 'the digest row was altered after signing: its fields no longer hash to its digest' });
      return;
    }
    const check = this.keyring.verify(row.key_id, Buffer.from(row.digest, 'hex'), row.signature);
    if (check === 'unknown_key') {
      report({ seq: row.seq, kind: 'bad_signature', detail: `signed by key ${row.key_id}, which this verifier does not trust` });
    } else if (check === 'invalid') {
      report({ seq: row.seq, kind: 'bad_signature', detail: `the signature does not verify with key ${row.key_id}` });
    }
  }

  /** Each listed event must have a row exactly as signed, and no other row with different content. Returns how many were checked. */
  private async checkEvents(
    tenant: string,
    batches: AuditDigestRow[],
    multiListed: Map<string, Set<string>>,
    cutoff: string | null,
    report: (b: Omit<ChainBreak, 'tenant'>, index?: number) => void,
  ): Promise<number> {
    const rowsById = await this.rowsOf(tenant, [...new Set(batches.flatMap((b) => b.event_ids))]);
    let checked = 0;
    for (const batch of batches) {
      batch.event_ids.forEach((eventId, index) => {
        const rows = rowsById.get(eventId) ?? [];
        const at = { seq: batch.seq, event_id: eventId };
        if (rows.length === 0) {
          // TTL removes an event once it is older than the retention: gone on purpose, not deleted.
          if (cutoff !== null && batch.event_occurred_at[index] < cutoff) return;
          checked += 1;
          report({ ...at, kind: 'deleted_row', detail: 'the event has no row in agent_actions' }, index);
          return;
        }
        checked += 1;
        const alsoIn = multiListed.get(eventId);
        const signed = { hash: batch.event_hashes[index], ingestedAt: alsoIn ? null : batch.ingested_at };
        const problems = rows.map((r) => rowMismatch(r, signed));
        const matching = problems.filter((p) => p === null).length;
        if (matching === 0) {
          const why = problems[0] as string;
          report({ ...at, kind: 'edited_row', detail: rows.length > 1 ? `${why} (and in all ${rows.length} rows of the event)` : why }, index);
          return;
        }
        // Rows of an event stored by two batches are checked against both batches' hashes.
        const extra = rows.filter((r, i) => problems[i] !== null && !(alsoIn && [...alsoIn].some((h) => rowMismatch(r, { hash: h, ingestedAt: null }) === null)));
        if (extra.length > 0) {
          report({ ...at, kind: 'forged_row', detail: `${extra.length} extra row${extra.length > 1 ? 's' : ''} for this event with content that was not signed` }, index);
        }
      });
    }
    return checked;
  }

  /**
   * A row whose event id no digest lists is unaccounted for: forged, or
   * stored while its digest failed to be written. Only the earliest matters
   * (it locates the first break); it is placed at the batch with its
   * ingested_at, or the position after the last batch before it.
   */
  private async checkUnaccounted(tenant: string, range: { from?: string; to?: string }, report: (b: Omit<ChainBreak, 'tenant'>) => void): Promise<void> {
    const where = ['tenant = {tenant:String}'];
    const params: Record<string, unknown> = { tenant };
    if (range.from !== undefined) {
      where.push(`ingested_at >= {from:DateTime64(6, 'UTC')}`);
      params.from = range.from;
    }
    if (range.to !== undefined) {
      where.push(`ingested_at < {to:DateTime64(6, 'UTC')}`);
      params.to = range.to;
    }
    const rs = await this.client.query({
      query: `SELECT event_id, toString(ingested_at) AS ingested_at_text, count() OVER () AS total
              FROM ${this.tables.agentActions}
              WHERE ${where.join(' AND ')}
                AND event_id NOT IN (SELECT arrayJoin(event_ids) FROM ${this.digestTable} WHERE tenant = {tenant:String})
              ORDER BY ingested_at, event_id
              LIMIT 1`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const [orphan] = await rs.json<{ event_id: string; ingested_at_text: string; total: string | number }>();
    if (!orphan) return;
    const located = await this.client.query({
      query: `SELECT seq, toString(ingested_at) AS ingested_at_text FROM ${this.digestTable}
              WHERE tenant = {tenant:String} AND ingested_at <= {at:DateTime64(6, 'UTC')}
              ORDER BY ingested_at DESC, seq DESC LIMIT 1`,
      query_params: { tenant, at: orphan.ingested_at_text },
      format: 'JSONEachRow',
    });
    const [before] = await located.json<{ seq: string | number; ingested_at_text: string }>();
    const seq = before === undefined ? 1 : before.ingested_at_text === orphan.ingested_at_text ? Number(before.seq) : Number(before.seq) + 1;
    const total = Number(orphan.total);
    report({
      seq,
      kind: 'forged_row',
      event_id: orphan.event_id,
      detail: `the row (ingested at ${orphan.ingested_at_text}) is in no digest${total > 1 ? `; ${total} such rows in all` : ''}`,
    });
  }

  /** All rows of these events, duplicates included (no FINAL). */
  private async rowsOf(tenant: string, eventIds: string[]): Promise<Map<string, StoredRow[]>> {
    const byId = new Map<string, StoredRow[]>();
    for (let i = 0; i < eventIds.length; i += IDS_PER_QUERY) {
      const rs = await this.client.query({
        query: `SELECT ${STORED_ROW_SELECT} FROM ${this.tables.agentActions}
                WHERE tenant = {tenant:String} AND event_id IN {ids:Array(String)}
                ORDER BY event_id, ingested_at, payload`,
        query_params: { tenant, ids: eventIds.slice(i, i + IDS_PER_QUERY) },
        format: 'JSONEachRow',
      });
      for (const row of await rs.json<StoredRow>()) {
        const list = byId.get(row.event_id);
        if (list) list.push(row);
        else byId.set(row.event_id, [row]);
      }
    }
    return byId;
  }

  /**
   * Events listed by more than one batch, with every hash signed for them.
   * Two ingest processes racing on one event can both store and digest it;
   * ReplacingMergeTree may then keep either copy. Normally empty.
   */
  private async multiListed(tenant: string): Promise<Map<string, Set<string>>> {
    const rs = await this.client.query({
      query: `SELECT pair.1 AS id, groupUniqArray(pair.2) AS hashes
              FROM ${this.digestTable} ARRAY JOIN arrayZip(event_ids, event_hashes) AS pair
              WHERE tenant = {tenant:String}
              GROUP BY id HAVING uniqExact(seq) > 1`,
      query_params: { tenant },
      format: 'JSONEachRow',
    });
    return new Map((await rs.json<{ id: string; hashes: string[] }>()).map((r) => [r.id, new Set(r.hashes)]));
  }

  private async allTenants(): Promise<string[]> {
    const rs = await this.client.query({
      query: `SELECT tenant FROM (SELECT DISTINCT tenant FROM ${this.digestTable} UNION DISTINCT SELECT DISTINCT tenant FROM ${this.tables.agentActions})
              ORDER BY tenant`,
      format: 'JSONCompactEachRow',
    });
    return (await rs.json<[string]>()).map((r) => r[0]);
  }

  /** Events that occurred before this (ClickHouse text) may have been removed by the retention TTL. */
  private retentionCutoff(): string | null {
    if (this.retentionDays <= 0) return null;
    return toClickHouseDateTime64(instantFromDate(new Date(this.now().getTime() - this.retentionDays * 86_400_000)));
  }

  private get digestTable(): string {
    return this.tables.table(INTEGRITY_TABLES.digests);
  }
}

const RANK = new Map(CHAIN_BREAK_KINDS.map((k, i) => [k, i]));

function earlier(a: Located, b: Located): boolean {
  if (a.brk.seq !== b.brk.seq) return a.brk.seq < b.brk.seq;
  const ra = RANK.get(a.brk.kind) ?? 0;
  const rb = RANK.get(b.brk.kind) ?? 0;
  if (ra !== rb) return ra < rb;
  return a.index < b.index;
}

function sameRow(a: AuditDigestRow, b: AuditDigestRow): boolean {
  return a.digest === b.digest && a.signature === b.signature && a.prev_digest === b.prev_digest && a.event_ids.join('\0') === b.event_ids.join('\0');
}
