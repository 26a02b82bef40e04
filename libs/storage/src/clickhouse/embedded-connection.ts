import { Readable } from 'node:stream';
import { parseError } from '@clickhouse/client';
import type { ChdbConnection, Connection } from 'chdb/connection';
import { ENGINE_MAX_QUERY_SIZE, inlineQueryParams } from './inline-query-params.js';

type Params<M extends keyof Connection<Readable>> = Connection<Readable>[M] extends (params: infer P) => unknown ? P : never;
type Result<M extends keyof Connection<Readable>> = Connection<Readable>[M] extends (...args: never[]) => infer R ? R : never;
type Settings = Record<string, string | number | boolean>;
type RawFormat = 'JSONEachRow' | 'JSONCompactEachRow' | 'TabSeparated' | 'TSV' | 'CSV';

/** An insert whose body chDB can take as bytes: one table, optional column list, a text format. */
export interface RawInsertTarget {
  table: string;
  columns?: string[];
  format: RawFormat;
}

const IDENT = '`?[A-Za-z0-9_]+`?';
// The statements @clickhouse/client and Warden's repositories send: `INSERT INTO t (a, b) FORMAT F`.
const INSERT = new RegExp(
  `^\\s*INSERT\\s+INTO\\s+(${IDENT}(?:\\.${IDENT})?)(?:\\s*\\(\\s*(${IDENT}(?:\\s*,\\s*${IDENT})*)\\s*\\))?\\s+FORMAT\\s+(JSONEachRow|JSONCompactEachRow|TabSeparated|TSV|CSV)\\s*$`,
);
// Settings that only mean something to the HTTP server; chdb's own connection drops them too.
const HTTP_ONLY = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
]);

/** The target of an insert statement chDB can run as a raw insert, or null for anything else. */
export function rawInsertTarget(query: string): RawInsertTarget | null {
  const match = INSERT.exec(query);
  if (!match) return null;
  const unquote = (identifier: string) => identifier.replaceAll('`', '');
  return {
    table: match[1].split('.').map(unquote).join('.'),
    ...(match[2] === undefined ? {} : { columns: match[2].split(',').map((c) => unquote(c.trim())) }),
    format: match[3] as RawFormat,
  };
}

/** The settings of a statement as an insert's SETTINGS clause takes them. */
export function insertSettings(settings: Record<string, unknown> | undefined): Settings {
  const out: Settings = {};
  for (const [name, value] of Object.entries(settings ?? {})) {
    if (value === undefined || HTTP_ONLY.has(name)) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new TypeError(`setting ${name}: expected a string, number or boolean`);
    }
    out[name] = value;
  }
  return out;
}

async function bytesOf(values: unknown): Promise<Buffer> {
  if (typeof values === 'string') return Buffer.from(values);
  if (Buffer.isBuffer(values)) return values;
  const chunks: Buffer[] = [];
  for await (const chunk of values as AsyncIterable<unknown>) {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    else throw new TypeError(`an insert body chunk must be bytes or text, got ${typeof chunk}`);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

/** Nothing but whitespace (stops at the first other byte: a real body is not scanned). */
function blank(body: Buffer): boolean {
  for (const byte of body) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  return true;
}

function summary(rows: number, bytes: number, elapsedSeconds: number) {
  const r = String(rows);
  const b = String(bytes);
  return {
    read_rows: r,
    read_bytes: b,
    written_rows: r,
    written_bytes: b,
    result_rows: '0',
    result_bytes: '0',
    total_rows_to_read: '0',
    elapsed_ns: String(Math.round(elapsedSeconds * 1e9)),
  };
}

/** What a statement whose literals make it long may take (the engine's default is 256 KiB). */
const MAX_QUERY_SIZE_WITH_LITERALS = 64 * 1024 * 1024;

/**
 * The statement with its query parameters written in as literals
 * (inlineQueryParams), so chdb runs it beside other statements instead of
 * queueing it behind every other parameterised one in the process. A
 * statement the literals make longer than the engine parses by default
 * raises `max_query_size` for itself.
 */
export function withInlinedParams<P extends { query: string; query_params?: Record<string, unknown>; clickhouse_settings?: Record<string, unknown> }>(params: P): P {
  if (!params.query_params || Object.keys(params.query_params).length === 0) return params;
  const { query_params, ...rest } = params;
  const query = inlineQueryParams(params.query, query_params);
  // Up to 3 bytes of UTF-8 a character, and room for the SETs chdb puts ahead of the statement.
  if (query.length * 3 + 4096 < ENGINE_MAX_QUERY_SIZE) return { ...rest, query } as unknown as P;
  // The setting travels with the statement (chdb sends it as a SET ahead of it).
  return { ...rest, query, clickhouse_settings: { ...rest.clickhouse_settings, max_query_size: MAX_QUERY_SIZE_WITH_LITERALS } } as unknown as P;
}

/**
 * One embedded-engine connection whose inserts hand their body to chDB as
 * bytes (its raw insert), where chdb's generic connection splices the body
 * into the statement text: the engine reads the rows straight from the
 * bytes instead of out of a query string, in about 0.6 of the time and CPU
 * for Warden's batches (`npm run bench -- embedded-insert`).
 * Settings travel in the insert's own SETTINGS clause rather than as SETs
 * that stay on the session. Query parameters are written into the statement
 * as literals (withInlinedParams). Everything else goes to chdb's connection as is.
 */
export class EmbeddedConnection implements Connection<Readable> {
  constructor(private readonly inner: ChdbConnection) {}

  query(params: Params<'query'>): Result<'query'> {
    return this.inner.query(withInlinedParams(params));
  }

  command(params: Params<'command'>): Result<'command'> {
    return this.inner.command(withInlinedParams(params));
  }

  ping(params: Params<'ping'>): Result<'ping'> {
    return this.inner.ping(params);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async insert(params: Params<'insert'>): Result<'insert'> {
    const target = rawInsertTarget(params.query);
    return target ? this.raw(target, params) : this.inner.insert(withInlinedParams(params));
  }

  async exec(params: Params<'exec'>): Result<'exec'> {
    const target = params.values === undefined ? null : rawInsertTarget(params.query);
    return target ? { ...(await this.raw(target, params)), stream: Readable.from([]) } : this.inner.exec(withInlinedParams(params));
  }

  /** Runs an insert statement as chDB's raw insert, answering as the client expects of any insert. */
  private async raw(target: RawInsertTarget, params: Params<'insert'> | Params<'exec'>) {
    const query_id = params.query_id ?? crypto.randomUUID();
    const written = await this.rawInsert(target, await bytesOf(params.values), params.clickhouse_settings, params.abort_signal);
    return { query_id, response_headers: {}, http_status_code: 200, summary: written };
  }

  private async rawInsert(target: RawInsertTarget, body: Buffer, settings: Record<string, unknown> | undefined, signal: AbortSignal | undefined) {
    // An empty body is a no-op, as it is on chdb's own path (the engine would say "No data to insert").
    if (blank(body)) return summary(0, 0, 0);
    try {
      const result = await this.inner.chdb.rawInsert({
        table: target.table,
        ...(target.columns ? { columns: target.columns } : {}),
        format: target.format,
        values: body,
        settings: insertSettings(settings),
        ...(signal ? { signal } : {}),
      });
      return summary(result.rowsWritten, result.bytesWritten, result.elapsed);
    } catch (error) {
      // The same error shape as every other statement: ClickHouseError where the engine's message has a code.
      const message = error instanceof Error ? error.message : String(error);
      const mapped = parseError(message);
      if (mapped !== error) Object.assign(mapped, { cause: error });
      throw mapped;
    }
  }
}
