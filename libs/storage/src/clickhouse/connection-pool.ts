// The Connection contract of @clickhouse/client, as chdb re-exports it verbatim.
import type { Connection } from 'chdb/connection';

type Params<S, M extends keyof Connection<S>> = Connection<S>[M] extends (params: infer P) => unknown ? P : never;
type Result<S, M extends keyof Connection<S>> = Connection<S>[M] extends (...args: never[]) => infer R ? R : never;

/**
 * Several connections to one engine, used as one. The embedded engine runs
 * the statements of one connection strictly one after another, so with a
 * single connection every fsync'd insert made every other statement wait
 * (a detection's write behind an ingest write, an analyst's query in front
 * of both). Nothing Warden runs depends on connection state (no SET, no
 * temporary tables): each statement carries its own settings. chdb's own
 * binding of query parameters would queue every parameterised statement in
 * the process behind the others; EmbeddedConnection writes them in as
 * literals, so those overlap too.
 *
 * A statement goes to a connection only when that connection is idle; until
 * one is, it waits here, first come first served, and takes the first
 * connection to free up. Handing it to a busy connection instead would park
 * it on one of libuv's threads (four by default) until that connection's
 * statement ends: a few such statements left no thread for the idle
 * connections, so a 1 ms read waited out someone else's insert (measured:
 * 467 ms behind four half-second statements queued on another connection).
 * Waiting here also lets a short statement take whichever connection frees
 * first, not the one it was dealt.
 */
export class ConnectionPool<Stream> implements Connection<Stream> {
  private readonly idle: number[];
  private readonly waiting: ((connection: number) => void)[] = [];

  constructor(private readonly connections: Connection<Stream>[]) {
    if (connections.length === 0) throw new RangeError('a connection pool needs at least one connection');
    // Popped from the end: connection 0 first.
    this.idle = connections.map((_, i) => connections.length - 1 - i);
  }

  get size(): number {
    return this.connections.length;
  }

  /** Statements waiting for a connection now. */
  get queued(): number {
    return this.waiting.length;
  }

  ping(params: Params<Stream, 'ping'>): Result<Stream, 'ping'> {
    return this.on((c) => c.ping(params));
  }

  query(params: Params<Stream, 'query'>): Result<Stream, 'query'> {
    return this.on((c) => c.query(params));
  }

  insert(params: Params<Stream, 'insert'>): Result<Stream, 'insert'> {
    return this.on((c) => c.insert(params));
  }

  command(params: Params<Stream, 'command'>): Result<Stream, 'command'> {
    return this.on((c) => c.command(params));
  }

  exec(params: Params<Stream, 'exec'>): Result<Stream, 'exec'> {
    return this.on((c) => c.exec(params));
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.close()));
  }

  private async on<T>(operation: (connection: Connection<Stream>) => Promise<T>): Promise<T> {
    const free = this.idle.pop();
    const chosen = free ?? (await new Promise<number>((resolve) => this.waiting.push(resolve)));
    try {
      return await operation(this.connections[chosen]);
    } finally {
      this.release(chosen);
    }
  }

  private release(connection: number): void {
    const next = this.waiting.shift();
    if (next) next(connection);
    else this.idle.push(connection);
  }
}
