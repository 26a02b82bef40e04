import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { fromClickHouseDateTime64, parseRfc3339, toClickHouseDateTime64, toRfc3339Utc } from '@warden/common';
import type { ActionQuery, AgentAction } from '@warden/contracts';
import type { TableNames } from '../clickhouse/clickhouse.connection.js';
import { decodeCursor, encodeCursor } from './action-cursor.js';
import { AGENT_ACTION_COLUMNS, type AgentActionRow } from './agent-action.row.js';
import { idLookups } from './id-lookups.js';

// insert() writes the payload last, after the other columns.
const PAYLOAD = AGENT_ACTION_COLUMNS.length - 1;
if (AGENT_ACTION_COLUMNS[PAYLOAD] !== 'payload') throw new Error('agent_actions: payload must be the last insert column');

export interface StoredAction {
  event: AgentAction;
  /** When Warden stored it (RFC 3339, UTC). */
  ingested_at: string;
}

export interface ActionPage {
  items: StoredAction[];
  next_cursor: string | null;
}

export interface PrincipalSummary {
  principal: string;
  total: number;
  by_action_type: Record<string, number>;
  first_seen: string;
  last_seen: string;
  distinct_resources: number;
}

// Aliases must not shadow column names: ClickHouse would apply them inside WHERE too.
interface PayloadRow {
  payload: string;
  occurred_at_text: string;
  ingested_at_text: string;
  event_id: string;
}

/** What identifies a stored event within a tenant: its event_id and its occurred_at (ClickHouse DateTime64(6) text). */
export function storedEventKey(eventId: string, occurredAt: string): string {
  return `${eventId}\u0000${occurredAt}`;
}

/**
 * Reads and writes of the raw log. Every method takes the tenant explicitly
 * and every statement is parameterised: no caller input is spliced into SQL
 * (on the embedded engine, values become escaped, typed literals: inlineQueryParams).
 */
export class AgentActionRepository {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
  ) {}

  /**
   * Which of these events the tenant already has stored, as storedEventKey
   * of each: the same event_id with the same occurred_at. A redelivered event
   * carries the time it was first sent with, so this finds every redelivery,
   * and bounding the search by the batch's own time span (`within`, as
   * ClickHouse DateTime64(6) text) lets the engine skip every part outside
   * it (each part's min/max occurred_at): the check costs what the recent
   * data costs, not the whole history. An event_id reused with another time
   * is a different event and is kept. A long list is asked in several
   * lookups (idLookups): the engine's cost grows much faster than the list.
   */
  async findStored(tenant: string, eventIds: string[], within: { from: string; to: string }): Promise<Set<string>> {
    const stored = new Set<string>();
    // One after another: a write's check leaves the other connections to the reads beside it (an analyst's, detection's).
    for (const ids of idLookups(eventIds)) {
      const rs = await this.client.query({
        query: `SELECT DISTINCT event_id, toString(occurred_at) FROM ${this.tables.agentActions}
                WHERE tenant = {tenant:String}
                  AND occurred_at >= {from:DateTime64(6, 'UTC')} AND occurred_at <= {to:DateTime64(6, 'UTC')}
                  AND event_id IN {ids:Array(String)}`,
        query_params: { tenant, ids, from: within.from, to: within.to },
        format: 'JSONCompactEachRow',
      });
      for (const [id, occurredAt] of await rs.json<[string, string]>()) stored.add(storedEventKey(id, occurredAt));
    }
    return stored;
  }

  /**
   * One insert, in the column order of AGENT_ACTION_COLUMNS. The payload
   * (always a JSON object: the event's canonical JSON) goes into the body as
   * the object itself rather than as an escaped string, and the engine
   * stores its text verbatim (input_format_json_read_objects_as_strings):
   * the hot path neither escapes nor unescapes ~700 bytes per event.
   */
  async insert(rows: AgentActionRow[]): Promise<void> {
    if (rows.length === 0) return;
    let body = '';
    for (const row of rows) {
      const payload = row[PAYLOAD];
      if (payload.charCodeAt(0) !== 0x7b) throw new TypeError(`payload of ${row[1]} is not a JSON object`);
      const head = JSON.stringify(row.slice(0, PAYLOAD));
      body += `${head.slice(0, -1)},${payload}]\n`;
    }
    // exec, not insert: the client's insert wants rows to encode, and the body here is already encoded.
    const result = await this.client.exec({
      query: `INSERT INTO ${this.tables.agentActions} (${AGENT_ACTION_COLUMNS.join(', ')}) FORMAT JSONCompactEachRow`,
      values: Readable.from([body], { objectMode: false }),
      clickhouse_settings: { input_format_json_read_objects_as_strings: 1 },
    });
    result.stream.destroy();
  }

  async findById(tenant: string, eventId: string): Promise<StoredAction | null> {
    const rs = await this.client.query({
      query: `SELECT payload, toString(occurred_at) AS occurred_at_text, toString(ingested_at) AS ingested_at_text, event_id
              FROM ${this.tables.agentActions} FINAL
              WHERE tenant = {tenant:String} AND event_id = {id:String}
              LIMIT 1`,
      query_params: { tenant, id: eventId },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<PayloadRow>();
    return row ? toStored(row) : null;
  }

  /** Several stored events by id (evidence of a detection), newest first. */
  async findByIds(tenant: string, eventIds: string[]): Promise<StoredAction[]> {
    if (eventIds.length === 0) return [];
    const rs = await this.client.query({
      query: `SELECT payload, toString(occurred_at) AS occurred_at_text, toString(ingested_at) AS ingested_at_text, event_id
              FROM ${this.tables.agentActions} FINAL
              WHERE tenant = {tenant:String} AND event_id IN {ids:Array(String)}
              ORDER BY occurred_at DESC, event_id DESC`,
      query_params: { tenant, ids: eventIds },
      format: 'JSONEachRow',
    });
    return (await rs.json<PayloadRow>()).map(toStored);
  }

  /** Newest first, keyset-paged on (occurred_at, event_id) so new arrivals never shift a page. */
  async list(tenant: string, q: ActionQuery): Promise<ActionPage> {
    const where = ['tenant = {tenant:String}'];
    const params: Record<string, unknown> = { tenant, limit: q.limit + 1 };
    const eq = (column: string, name: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`${column} = {${name}:String}`);
      params[name] = value;
    };
    eq('principal_id', 'principal', q.principal);
    eq('agent_id', 'agent', q.agent);
    eq('resource_type', 'resource_type', q.resource_type);
    eq('resource_id', 'resource_id', q.resource_id);
    eq('outcome', 'outcome', q.outcome);
    eq('sensitivity', 'sensitivity', q.sensitivity);
    if (q.action !== undefined) {
      if (q.action.endsWith('.')) {
        where.push('startsWith(action_type, {action_prefix:String})');
        params.action_prefix = q.action;
      } else {
        eq('action_type', 'action', q.action);
      }
    }
    if (q.from !== undefined) {
      where.push(`occurred_at >= {from:DateTime64(6, 'UTC')}`);
      params.from = chTime(q.from);
    }
    if (q.to !== undefined) {
      where.push(`occurred_at < {to:DateTime64(6, 'UTC')}`);
      params.to = chTime(q.to);
    }
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      where.push(`(occurred_at, event_id) < ({c_time:DateTime64(6, 'UTC')}, {c_id:String})`);
      params.c_time = c.occurredAt;
      params.c_id = c.eventId;
    }
    const rs = await this.client.query({
      query: `SELECT payload, toString(occurred_at) AS occurred_at_text, toString(ingested_at) AS ingested_at_text, event_id
              FROM ${this.tables.agentActions} FINAL
              WHERE ${where.join(' AND ')}
              ORDER BY occurred_at DESC, event_id DESC
              LIMIT {limit:UInt32}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<PayloadRow>();
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toStored),
      next_cursor:
        rows.length > q.limit && last ? encodeCursor({ occurredAt: last.occurred_at_text, eventId: last.event_id }) : null,
    };
  }

  /**
   * Stored events for replay (detection warm-up and catch-up), all tenants,
   * oldest first by (occurred_at, event_id), a page at a time.
   */
  async replayPage(
    filter: { ingestedAfter?: string; ingestedUpTo?: string; occurredFrom?: string },
    after: { occurredAt: string; eventId: string } | null,
    limit: number,
  ): Promise<{ events: AgentAction[]; last: { occurredAt: string; eventId: string } | null }> {
    const where = ['1'];
    const params: Record<string, unknown> = { limit };
    if (filter.ingestedAfter) {
      where.push(`ingested_at > {ia:DateTime64(6, 'UTC')}`);
      params.ia = filter.ingestedAfter;
    }
    if (filter.ingestedUpTo) {
      where.push(`ingested_at <= {iu:DateTime64(6, 'UTC')}`);
      params.iu = filter.ingestedUpTo;
    }
    if (filter.occurredFrom) {
      where.push(`occurred_at >= {of:DateTime64(6, 'UTC')}`);
      params.of = filter.occurredFrom;
    }
    if (after) {
      where.push(`(occurred_at, event_id) > ({c_time:DateTime64(6, 'UTC')}, {c_id:String})`);
      params.c_time = after.occurredAt;
      params.c_id = after.eventId;
    }
    const rs = await this.client.query({
      query: `SELECT payload, toString(occurred_at) AS occurred_at_text, toString(ingested_at) AS ingested_at_text, event_id
              FROM ${this.tables.agentActions} FINAL
              WHERE ${where.join(' AND ')}
              ORDER BY occurred_at, event_id LIMIT {limit:UInt32}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<PayloadRow>();
    const last = rows[rows.length - 1];
    return {
      events: rows.map((r) => JSON.parse(r.payload) as AgentAction),
      last: last ? { occurredAt: last.occurred_at_text, eventId: last.event_id } : null,
    };
  }

  /** The latest event time among events stored up to an ingest time: the event-time watermark at a checkpoint. */
  async latestOccurredAt(ingestedUpTo: string): Promise<string | null> {
    const rs = await this.client.query({
      query: `SELECT toString(max(occurred_at)) AS t, count() AS n FROM ${this.tables.agentActions}
              WHERE ingested_at <= {iu:DateTime64(6, 'UTC')}`,
      query_params: { iu: ingestedUpTo },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ t: string; n: string | number }>();
    return row && Number(row.n) > 0 ? row.t : null;
  }

  /**
   * One pass over the principal's rows, FINAL so that a duplicate row is
   * counted once: per action type its count, first and last seen and set of
   * resources, folded into the totals. The set holds `resource_key`, a 128-bit
   * hash of (resource_type, resource_id) computed once at insert (migration 3).
   * uniqExact of the two string columns keeps the same kind of set (128-bit
   * SipHash of each value) but hashes every row on every read, which was most
   * of this query's cost for a busy principal.
   */
  async summarisePrincipal(tenant: string, principal: string): Promise<PrincipalSummary | null> {
    const rs = await this.client.query({
      query: `SELECT sum(n) AS total, toString(min(first_at)) AS first_seen_text, toString(max(last_at)) AS last_seen_text,
                     uniqExactMerge(resources) AS distinct_resources, groupArray(action_type) AS types, groupArray(n) AS counts
              FROM (
                SELECT action_type, count() AS n, min(occurred_at) AS first_at, max(occurred_at) AS last_at,
                       uniqExactState(resource_key) AS resources
                FROM ${this.tables.agentActions} FINAL
                WHERE tenant = {tenant:String} AND principal_id = {principal:String}
                GROUP BY action_type
              )`,
      query_params: { tenant, principal },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<SummaryRow>();
    if (!row || Number(row.total) === 0) return null;
    return {
      principal,
      total: Number(row.total),
      by_action_type: Object.fromEntries(byCountThenType(row.types, row.counts.map(Number))),
      first_seen: isoFromCh(row.first_seen_text),
      last_seen: isoFromCh(row.last_seen_text),
      distinct_resources: Number(row.distinct_resources),
    };
  }
}

interface SummaryRow {
  total: string | number;
  first_seen_text: string;
  last_seen_text: string;
  distinct_resources: string | number;
  types: string[];
  counts: (string | number)[];
}

/** Action types, most frequent first, ties in byte order of the type (as ClickHouse's ORDER BY n DESC, action_type). */
function byCountThenType(types: string[], counts: number[]): [string, number][] {
  return types
    .map((type, i): [string, number] => [type, counts[i]])
    .sort(([ta, na], [tb, nb]) => nb - na || Buffer.compare(Buffer.from(ta), Buffer.from(tb)));
}

function chTime(rfc3339: string): string {
  return toClickHouseDateTime64(parseRfc3339(rfc3339));
}

function isoFromCh(value: string): string {
  return toRfc3339Utc(fromClickHouseDateTime64(value));
}

function toStored(row: PayloadRow): StoredAction {
  return { event: JSON.parse(row.payload) as AgentAction, ingested_at: isoFromCh(row.ingested_at_text) };
}
