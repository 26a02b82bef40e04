// The Connection contract of @clickhouse/client, as chdb re-exports it verbatim.
import type { Connection } from 'chdb/connection';

type Params<S, M extends keyof Connection<S>> = Connection<S>[M] extends (params: infer P) => unknown ? P : never;
type Result<S, M extends keyof Connection<S>> = Connection<S>[M] extends (...args: never[]) => infer R ? R : never;

/**
 * Several connections to one engine, used as one. The embedded engine runs
 * the statements of one connection strictly one after another, so with a
 * single connection every fsync'd insert made every other statement wait
 * (a detection's write behind an ingest write, an analyst's query in front
 * of both). Statements here go to the connection with the fewest in flight,
 * so independent work overlaps as it does against a server. Nothing Warden
 * runs depends on connection state (no SET, no temporary tables): each
 * statement carries its own settings. chdb's own binding of query
 * parameters would queue every parameterised statement in the process
 * behind the others; EmbeddedConnection writes them in as literals, so
 * those overlap too.
 */
export class ConnectionPool<Stream> implements Connection<Stream> {
  private readonly busy: number[];

  constructor(private readonly connections: Connection<Stream>[]) {
    if (connections.length === 0) throw new RangeError('a connection pool needs at least one connection');
    this.busy = connections.map(() => 0);
  }

  get size(): number {
    return this.connections.length;
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
    let chosen = 0;
    for (let i = 1; i < this.busy.length; i++) if (this.busy[i] < this.busy[chosen]) chosen = i;
    this.busy[chosen]++;
    try {
      return await operation(this.connections[chosen]);
    } finally {
      this.busy[chosen]--;
    }
  }
}
