import type { ClickHouseClient } from '@clickhouse/client';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { fromClickHouseDateTime64, instantFromDate, toClickHouseDateTime64, toRfc3339Utc } from '@warden/common';
import { CLICKHOUSE_CLIENT, TABLE_NAMES, type TableNames } from '@warden/storage';
import { LOGGER, type Logger } from '@warden/telemetry';

export interface AuditRecord {
  at: string;
  tenant: string;
  actor: string;
  role: string;
  method: string;
  route: string;
  path: string;
  status: number;
  ip: string;
  request_id: string;
}

/**
 * Every state-changing call (and every refused one): who, with which role,
 * for which tenant, what, when, from where. Buffered and written in the
 * background once a second, so auditing costs the request nothing; response
 * actions are additionally attributed in the response ledger itself.
 */
@Injectable()
export class AuditLog implements OnApplicationShutdown {
  private buffer: AuditRecord[] = [];
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(CLICKHOUSE_CLIENT) private readonly client: ClickHouseClient,
    @Inject(TABLE_NAMES) private readonly tables: TableNames,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), 1000);
    this.timer.unref();
  }

  record(r: AuditRecord): void {
    this.buffer.push(r);
    if (this.buffer.length >= 1000) void this.flush();
  }

  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.buffer.length === 0) return;
      const rows = this.buffer;
      this.buffer = [];
      try {
        await this.client.insert({
          table: this.tables.table('audit_log'),
          format: 'JSONEachRow',
          values: rows.map((r) => ({ ...r, at: toClickHouseDateTime64(instantFromDate(new Date(r.at))) })),
        });
      } catch (error) {
        this.buffer.unshift(...rows);
        this.logger.error({ err: error, pending: this.buffer.length }, 'writing audit records failed; will retry');
      }
    });
    return this.flushing;
  }

  async list(tenant: string, limit: number): Promise<AuditRecord[]> {
    await this.flush();
    const rs = await this.client.query({
      query: `SELECT toString(at) AS at_text, tenant, actor, role, method, route, path, status, ip, request_id
              FROM ${this.tables.table('audit_log')} WHERE tenant = {tenant:String}
              ORDER BY at DESC LIMIT {limit:UInt32}`,
      query_params: { tenant, limit },
      format: 'JSONEachRow',
    });
    return (await rs.json<AuditRecord & { at_text: string }>()).map(({ at_text, ...r }) => ({
      ...r,
      status: Number(r.status),
      at: toRfc3339Utc(fromClickHouseDateTime64(at_text)),
    }));
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
