import type { ClickHouseClient } from '@clickhouse/client';
import { type UtcInstant, fromClickHouseDateTime64, parseRfc3339, toClickHouseDateTime64, toRfc3339Utc } from '@warden/common';
import type { TableNames } from '@warden/storage';
import { z } from 'zod';
import { type Detection, detectionSchema } from '../detection/detection.schema.js';
import { severitySchema } from '../rules/rule-common.schema.js';

const ch = (iso: string) => toClickHouseDateTime64(parseRfc3339(iso));

/** Filters of GET /v1/detections. */
export const detectionQuerySchema = z.strictObject({
  severity: severitySchema.optional(),
  rule: z.string().min(1).max(128).optional(),
  principal: z.string().min(1).max(256).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('Inclusive lower bound on last_seen'),
  to: z.iso.datetime({ offset: true }).optional().describe('Exclusive upper bound on first_seen'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type DetectionQuery = z.infer<typeof detectionQuerySchema>;

export interface StoredDetection extends Detection {
  detected_at: string;
}

export class DetectionRepository {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
  ) {}

  /** Idempotent by detection_id: re-evaluated events yield the same ids and collapse. */
  async insert(detections: Detection[], detectedAt: UtcInstant): Promise<void> {
    if (detections.length === 0) return;
    await this.client.insert({
      table: this.tables.table('detections'),
      format: 'JSONEachRow',
      values: detections.map((d) => ({
        tenant: d.tenant,
        detection_id: d.detection_id,
        detected_at: toClickHouseDateTime64(detectedAt),
        rule_id: d.rule_id,
        rule_kind: d.rule_kind,
        severity: d.severity,
        principal_id: d.principal_id,
        group_key: d.group_key,
        trigger_event_id: d.trigger_event_id,
        first_seen: ch(d.first_seen),
        last_seen: ch(d.last_seen),
        count: d.count,
        payload: JSON.stringify(d),
      })),
    });
  }

  async list(tenant: string, q: DetectionQuery): Promise<StoredDetection[]> {
    const where = ['tenant = {tenant:String}'];
    const params: Record<string, unknown> = { tenant, limit: q.limit };
    if (q.severity) {
      where.push('severity = {severity:String}');
      params.severity = q.severity;
    }
    if (q.rule) {
      where.push('rule_id = {rule:String}');
      params.rule = q.rule;
    }
    if (q.principal) {
      where.push('principal_id = {principal:String}');
      params.principal = q.principal;
    }
    if (q.from) {
      where.push(`last_seen >= {from:DateTime64(6, 'UTC')}`);
      params.from = ch(q.from);
    }
    if (q.to) {
      where.push(`first_seen < {to:DateTime64(6, 'UTC')}`);
      params.to = ch(q.to);
    }
    const rs = await this.client.query({
      query: `SELECT payload, toString(detected_at) AS detected_at_text FROM ${this.tables.table('detections')} FINAL
              WHERE ${where.join(' AND ')}
              ORDER BY last_seen DESC, detection_id DESC LIMIT {limit:UInt32}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    return (await rs.json<{ payload: string; detected_at_text: string }>()).map((r) => ({
      ...detectionSchema.parse(JSON.parse(r.payload)),
      detected_at: toRfc3339Utc(fromClickHouseDateTime64(r.detected_at_text)),
    }));
  }

  async findById(tenant: string, id: string): Promise<StoredDetection | null> {
    const rs = await this.client.query({
      query: `SELECT payload, toString(detected_at) AS detected_at_text FROM ${this.tables.table('detections')} FINAL
              WHERE tenant = {tenant:String} AND detection_id = {id:String} LIMIT 1`,
      query_params: { tenant, id },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ payload: string; detected_at_text: string }>();
    return row ? { ...detectionSchema.parse(JSON.parse(row.payload)), detected_at: toRfc3339Utc(fromClickHouseDateTime64(row.detected_at_text)) } : null;
  }

  async checkpoint(name: string): Promise<string | null> {
    const rs = await this.client.query({
      query: `SELECT toString(evaluated_through) AS t FROM ${this.tables.table('detection_checkpoints')} FINAL WHERE name = {name:String}`,
      query_params: { name },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ t: string }>();
    return row?.t ?? null;
  }

  async saveCheckpoint(name: string, evaluatedThrough: string, now: UtcInstant): Promise<void> {
    await this.client.insert({
      table: this.tables.table('detection_checkpoints'),
      format: 'JSONEachRow',
      values: [{ name, evaluated_through: evaluatedThrough, updated_at: toClickHouseDateTime64(now) }],
    });
  }
}
