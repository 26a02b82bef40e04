import type { ClickHouseClient } from '@clickhouse/client';
import { parseRfc3339, toClickHouseDateTime64 } from '@warden/common';
import type { TableNames } from '@warden/storage';
import { HistoryUnavailableError } from '../detection.errors.js';
import type { ActionHistoryPort } from '../history/action-history.port.js';

const ch = (iso: string) => toClickHouseDateTime64(parseRfc3339(iso));

/** First-seen's view of the raw log: a primary-key range read (tenant, principal, time). */
export class ClickHouseActionHistory implements ActionHistoryPort {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
  ) {}

  async hasPrior(tenant: string, principalId: string, actionType: string, resourceType: string, sinceIso: string, beforeIso: string): Promise<boolean> {
    try {
      const rs = await this.client.query({
        query: `SELECT 1 FROM ${this.tables.agentActions}
                WHERE tenant = {tenant:String} AND principal_id = {principal:String}
                  AND occurred_at >= {since:DateTime64(6, 'UTC')} AND occurred_at < {before:DateTime64(6, 'UTC')}
                  AND action_type = {action:String} AND resource_type = {resource:String}
                LIMIT 1`,
        query_params: { tenant, principal: principalId, since: ch(sinceIso), before: ch(beforeIso), action: actionType, resource: resourceType },
        format: 'JSONCompactEachRow',
      });
      return (await rs.json()).length > 0;
    } catch (error) {
      throw new HistoryUnavailableError(error);
    }
  }
}
