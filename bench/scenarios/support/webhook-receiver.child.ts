/**
 * Child-process entry of the benchmark's alert receiver (see webhook-receiver.ts):
 * an HTTP server on a free loopback port that answers 204 at once and tells
 * its parent, over IPC, when each alert arrived (its own clock, taken when the
 * request body was complete) and what it was.
 */
import { createServer } from 'node:http';
import type { ReceivedAlert, ReceiverChildMessage } from './webhook-receiver.js';

const tell = (message: ReceiverChildMessage) => process.send?.(message);
process.on('disconnect', () => process.exit(0));

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const receivedAtMs = Date.now();
    res.writeHead(204).end();
    let alert: ReceivedAlert;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        type?: string;
        delivery_id?: string;
        alert?: { rule_id?: string; trigger_event_id?: string; principal_id?: string; alert_id?: string };
      };
      alert = {
        received_at_ms: receivedAtMs,
        type: body.type ?? '',
        delivery_id: body.delivery_id ?? String(req.headers['x-warden-delivery'] ?? ''),
        rule_id: body.alert?.rule_id ?? '',
        trigger_event_id: body.alert?.trigger_event_id ?? '',
        principal_id: body.alert?.principal_id ?? '',
        alert_id: body.alert?.alert_id ?? '',
      };
    } catch {
      alert = { received_at_ms: receivedAtMs, type: 'unparsable', delivery_id: '', rule_id: '', trigger_event_id: '', principal_id: '', alert_id: '' };
    }
    tell({ type: 'alert', alert });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  tell({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });
});
