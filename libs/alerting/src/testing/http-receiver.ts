import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Test support only (excluded from the library build). */

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received (what a signature covers). */
  body: string;
}

/**
 * A real HTTP server on 127.0.0.1 standing in for PagerDuty, Slack or a
 * webhook receiver: records every request and answers with scripted
 * statuses (then `fallback`).
 */
export class HttpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly script: number[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly fallback: number,
  ) {}

  /** Port 0 picks a free port; pass one to come back up where a receiver was before. */
  static start(options: { port?: number; fallback?: number } = {}): Promise<HttpReceiver> {
    return new Promise((resolve, reject) => {
      let receiver: HttpReceiver | undefined;
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          receiver?.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          const status = receiver?.script.shift() ?? receiver?.fallback ?? 200;
          res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `scripted ${status}`);
        });
      });
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        receiver = new HttpReceiver(server, (server.address() as AddressInfo).port, options.fallback ?? 200);
        resolve(receiver);
      });
    });
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The next requests are answered with these statuses, in order. */
  respondWith(...statuses: number[]): void {
    this.script.push(...statuses);
  }

  json<T = unknown>(index: number): T {
    return JSON.parse(this.requests[index].body) as T;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
