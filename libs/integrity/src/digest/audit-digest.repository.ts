import type { ClickHouseClient } from '@clickhouse/client';
import type { TableNames } from '@warden/storage';
import { INTEGRITY_TABLES } from '../integrity.migrations.js';

/**
 * One row of `audit_digests`: a signed batch. Timestamps are ClickHouse
 * DateTime64(6) text in UTC (`2026-11-24 09:15:02.000000`), the form the
 * digest covers, so what is read back hashes exactly as what was written.
 */
export interface AuditDigestRow {
  tenant: string;
  /** 1, 2, 3… per tenant, no gaps. */
  seq: number;
  /** The digest of batch seq-1; GENESIS_DIGEST for seq 1. Hex SHA-256. */
  prev_digest: string;
  digest: string;
  /** Ed25519 over the 32 digest bytes, hex. */
  signature: string;
  key_id: string;
  event_count: number;
  /** In stored order; the three arrays are parallel. */
  event_ids: string[];
  event_occurred_at: string[];
  event_hashes: string[];
  first_occurred_at: string;
  last_occurred_at: string;
  /** The ingested_at written on every row of the batch. */
  ingested_at: string;
  created_at: string;
}

export interface ChainHead {
  seq: number;
  digest: string;
}

type RawDigestRow = Omit<AuditDigestRow, 'seq' | 'event_count'> & { seq: string | number; event_count: string | number };

const COLUMNS = `tenant, seq, prev_digest, digest, signature, key_id, event_count, event_ids, event_occurred_at, event_hashes,
  first_occurred_at, last_occurred_at, ingested_at, created_at`;

/** Reads and writes of `audit_digests`; every statement parameterised. */
export class AuditDigestRepository {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
  ) {}

  private get table(): string {
    return this.tables.table(INTEGRITY_TABLES.digests);
  }

  async insert(row: AuditDigestRow): Promise<void> {
    await this.client.insert({ table: this.table, values: [row], format: 'JSONEachRow' });
  }

  /** The latest batch of a tenant's chain, or null before its first. */
  async head(tenant: string): Promise<ChainHead | null> {
    const rs = await this.client.query({
      query: `SELECT seq, digest FROM ${this.table} WHERE tenant = {tenant:String} ORDER BY seq DESC, digest LIMIT 1`,
      query_params: { tenant },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ seq: string | number; digest: string }>();
    return row ? { seq: Number(row.seq), digest: row.digest } : null;
  }

  /** Rows with afterSeq < seq <= upToSeq, in seq order (rows sharing a seq together, by digest). */
  async window(tenant: string, afterSeq: number, upToSeq: number): Promise<AuditDigestRow[]> {
    return this.select(`WHERE tenant = {tenant:String} AND seq > {after:UInt64} AND seq <= {upTo:UInt64} ORDER BY seq, digest`, {
      tenant,
      after: afterSeq,
      upTo: upToSeq,
    });
  }

  /** The lowest and highest seq of a tenant's batches, narrowed to those stored in [from, to) when given; null when none. */
  async seqBounds(tenant: string, ingested: { from?: string; to?: string } = {}): Promise<{ min: number; max: number } | null> {
    const where = ['tenant = {tenant:String}'];
    const params: Record<string, unknown> = { tenant };
    if (ingested.from !== undefined) {
      where.push(`ingested_at >= {from:DateTime64(6, 'UTC')}`);
      params.from = ingested.from;
    }
    if (ingested.to !== undefined) {
      where.push(`ingested_at < {to:DateTime64(6, 'UTC')}`);
      params.to = ingested.to;
    }
    const rs = await this.client.query({
      query: `SELECT count() AS n, min(seq) AS lo, max(seq) AS hi FROM ${this.table} WHERE ${where.join(' AND ')}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: string | number; lo: string | number; hi: string | number }>();
    return row && Number(row.n) > 0 ? { min: Number(row.lo), max: Number(row.hi) } : null;
  }

  /** The batch stored with this ingest time (a write's own, unique per tenant), or null. */
  async atIngestTime(tenant: string, ingestedAt: string): Promise<AuditDigestRow | null> {
    const [row] = await this.select(`WHERE tenant = {tenant:String} AND ingested_at = {at:DateTime64(6, 'UTC')} ORDER BY seq DESC LIMIT 1`, { tenant, at: ingestedAt });
    return row ?? null;
  }

  /** The batch just before seq (the anchor a ranged check links its first batch to). */
  async before(tenant: string, seq: number): Promise<AuditDigestRow | null> {
    const [row] = await this.select(`WHERE tenant = {tenant:String} AND seq < {seq:UInt64} ORDER BY seq DESC, digest LIMIT 1`, { tenant, seq });
    return row ?? null;
  }

  /** Tenants that have a chain. */
  async tenants(): Promise<string[]> {
    const rs = await this.client.query({ query: `SELECT DISTINCT tenant FROM ${this.table} ORDER BY tenant`, format: 'JSONCompactEachRow' });
    return (await rs.json<[string]>()).map((r) => r[0]);
  }

  private async select(clause: string, params: Record<string, unknown>): Promise<AuditDigestRow[]> {
    const rs = await this.client.query({ query: `SELECT ${COLUMNS} FROM ${this.table} ${clause}`, query_params: params, format: 'JSONEachRow' });
    return (await rs.json<RawDigestRow>()).map((r) => ({ ...r, seq: Number(r.seq), event_count: Number(r.event_count) }));
  }
}
