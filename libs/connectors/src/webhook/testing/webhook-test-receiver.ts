import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessItemKey, type AccessItem } from '../../access-item.js';
import { WEBHOOK_HEADERS, verifyWebhookSignature, type WebhookSignatureCheck } from '../webhook.signature.js';

/**
 * A customer's webhook receiver, as the docs tell them to write one, for
 * integration tests: a real node:http server on 127.0.0.1 that checks the
 * signature with `verifyWebhookSignature` (401 when invalid), dedupes on the
 * Idempotency-Key header, and keeps a model of what the principal holds:
 * `/revoke` removes the items it is sent, `/restore` adds them, `/snapshot`
 * answers with the list. Every request is recorded.
 */

export interface WebhookDelivery {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly signature: WebhookSignatureCheck;
  /** The status the receiver answered with. */
  readonly status: number;
}

export interface WebhookTestReceiver {
  /** `http://127.0.0.1:<port>/<path>`. */
  url(path: 'revoke' | 'restore' | 'snapshot'): string;
  readonly deliveries: WebhookDelivery[];
  /** What the receiver's system says the principal holds; tests set it up directly. */
  holdings: AccessItem[];
  /** How many revokes and restores were put in force (repeats of an idempotency key are not). */
  readonly applied: { revoke: number; restore: number };
  /** Answers the next `times` signed requests with this status instead of acting. */
  failNext(status: number, times?: number): void;
  /** Holds the next request for `ms` before acting. */
  delayNext(ms: number): void;
  /** Answers the next snapshot request with this raw body. */
  answerNextSnapshotWith(body: string): void;
  close(): Promise<void>;
}

export interface WebhookTestReceiverOptions {
  secret: string;
  toleranceSeconds?: number;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export async function startWebhookTestReceiver(options: WebhookTestReceiverOptions): Promise<WebhookTestReceiver> {
  const failures: number[] = [];
  const delays: number[] = [];
  const snapshotAnswers: string[] = [];
  const seenKeys = new Set<string>();

  const receiver = {
    deliveries: [] as WebhookDelivery[],
    holdings: [] as AccessItem[],
    applied: { revoke: 0, restore: 0 },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const path = (req.url ?? '/').replace(/^\//, '');
    const signature = verifyWebhookSignature(
      options.secret,
      header(req.headers, WEBHOOK_HEADERS.timestamp),
      body,
      header(req.headers, WEBHOOK_HEADERS.signature),
      options.toleranceSeconds ?? 300,
    );
    const answer = (status: number, json?: unknown) => {
      receiver.deliveries.push({ path, headers: req.headers, body, signature, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(json === undefined ? '' : typeof json === 'string' ? json : JSON.stringify(json));
    };

    const delay = delays.shift();
    if (delay !== undefined) await new Promise((r) => setTimeout(r, delay));
    if (req.method !== 'POST') return answer(405, { error: 'POST only' });
    if (!signature.valid) return answer(401, { error: signature.reason });
    const failure = failures.shift();
    if (failure !== undefined) return answer(failure, { error: 'injected failure' });

    const items = ((JSON.parse(body) as { items?: AccessItem[] }).items ?? []).map((item) => [accessItemKey(item), item] as const);
    const key = header(req.headers, WEBHOOK_HEADERS.idempotencyKey) ?? '';
    const repeat = seenKeys.has(key);
    seenKeys.add(key);
    switch (path) {
      case 'snapshot': {
        const raw = snapshotAnswers.shift();
        return answer(200, raw ?? receiver.holdings);
      }
      case 'revoke': {
        if (!repeat) {
          const gone = new Set(items.map(([k]) => k));
          receiver.holdings = receiver.holdings.filter((held) => !gone.has(accessItemKey(held)));
          receiver.applied.revoke += 1;
        }
        return answer(200, { ok: true });
      }
      case 'restore': {
        if (!repeat) {
          const held = new Set(receiver.holdings.map(accessItemKey));
          receiver.holdings.push(...items.filter(([k]) => !held.has(k)).map(([, item]) => item));
          receiver.applied.restore += 1;
        }
        return answer(204);
      }
      default:
        return answer(404, { error: `no such endpoint /${path}` });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return Object.assign(receiver, {
    url: (path: string) => `http://127.0.0.1:${port}/${path}`,
    failNext: (status: number, times = 1) => void failures.push(...Array.from({ length: times }, () => status)),
    delayNext: (ms: number) => void delays.push(ms),
    answerNextSnapshotWith: (raw: string) => void snapshotAnswers.push(raw),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  });
}
