import type { ClickHouseClient } from '@clickhouse/client';
import { parseRfc3339, toClickHouseDateTime64 } from '@warden/common';
import type { TableNames } from '@warden/storage';
import { HistoryUnavailableError } from '../detection.errors.js';
import type { ActionHistoryPort, PriorQuestion } from '../history/action-history.port.js';

const ch = (iso: string) => toClickHouseDateTime64(parseRfc3339(iso));

/** Questions per statement of `hasPriorMany`; more are asked in further statements. */
const MAX_QUESTIONS_PER_READ = 500;

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

  /**
   * One statement per tenant (and per 500 questions) rather than one per
   * question: the engine's fixed cost per statement (about 5–10 ms here) is
   * most of a single read. The inner read takes the rows of the asked
   * principals over the union of the windows (a primary-key range); the ARRAY
   * JOIN pairs them with each question and keeps those in its own window.
   */
  async hasPriorMany(questions: readonly PriorQuestion[]): Promise<boolean[]> {
    if (questions.length === 1) {
      const [q] = questions;
      return [await this.hasPrior(q.tenant, q.principalId, q.actionType, q.resourceType, q.sinceIso, q.beforeIso)];
    }
    const answers = questions.map(() => false);
    const byTenant = new Map<string, number[]>();
    questions.forEach((q, i) => {
      const indices = byTenant.get(q.tenant);
      if (indices) indices.push(i);
      else byTenant.set(q.tenant, [i]);
    });
    const reads: Promise<void>[] = [];
    for (const [tenant, indices] of byTenant) {
      for (let start = 0; start < indices.length; start += MAX_QUESTIONS_PER_READ) {
        const chunk = indices.slice(start, start + MAX_QUESTIONS_PER_READ);
        reads.push(this.read(tenant, chunk, questions).then((found) => found.forEach((i) => (answers[i] = true))));
      }
    }
    await Promise.all(reads);
    return answers;
  }

  /** The indices (into `questions`) among `asked` that have a prior action. */
  private async read(tenant: string, asked: number[], questions: readonly PriorQuestion[]): Promise<number[]> {
    const since = asked.map((i) => ch(questions[i].sinceIso));
    const before = asked.map((i) => ch(questions[i].beforeIso));
    const distinct = (values: string[]) => [...new Set(values)];
    try {
      const rs = await this.client.query({
        query: `SELECT DISTINCT q_index FROM (
                  SELECT principal_id, action_type, resource_type, occurred_at FROM ${this.tables.agentActions}
                  WHERE tenant = {tenant:String} AND principal_id IN {principals:Array(String)}
                    AND action_type IN {actions:Array(String)} AND resource_type IN {resources:Array(String)}
                    AND occurred_at >= {from:DateTime64(6, 'UTC')} AND occurred_at < {to:DateTime64(6, 'UTC')}
                ) AS a
                ARRAY JOIN {q_index:Array(UInt32)} AS q_index, {q_principal:Array(String)} AS q_principal,
                  {q_action:Array(String)} AS q_action, {q_resource:Array(String)} AS q_resource,
                  {q_since:Array(DateTime64(6, 'UTC'))} AS q_since, {q_before:Array(DateTime64(6, 'UTC'))} AS q_before
                WHERE a.principal_id = q_principal AND a.action_type = q_action AND a.resource_type = q_resource
                  AND a.occurred_at >= q_since AND a.occurred_at < q_before`,
        query_params: {
          tenant,
          principals: distinct(asked.map((i) => questions[i].principalId)),
          actions: distinct(asked.map((i) => questions[i].actionType)),
          resources: distinct(asked.map((i) => questions[i].resourceType)),
          // Fixed-width text in UTC: text order is time order.
          from: since.reduce((a, b) => (b < a ? b : a)),
          to: before.reduce((a, b) => (b > a ? b : a)),
          q_index: asked,
          q_principal: asked.map((i) => questions[i].principalId),
          q_action: asked.map((i) => questions[i].actionType),
          q_resource: asked.map((i) => questions[i].resourceType),
          q_since: since,
          q_before: before,
        },
        format: 'JSONCompactEachRow',
      });
      return (await rs.json<[number]>()).map(([i]) => Number(i));
    } catch (error) {
      throw new HistoryUnavailableError(error);
    }
  }
}
