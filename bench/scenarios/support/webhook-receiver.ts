/**
 * The alert receiver of the latency scenario, in its own process so that its
 * receipt times are not delayed by the busy Warden event loop it measures.
 * Warden is configured with a webhook sink pointing at `url`.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ReceivedAlert {
  /** The receiver's Date.now() when the request body was complete. */
  received_at_ms: number;
  /** alert.triggered | alert.resolved (| unparsable) */
  type: string;
  delivery_id: string;
  rule_id: string;
  trigger_event_id: string;
  principal_id: string;
  alert_id: string;
}

export type ReceiverChildMessage = { type: 'ready'; port: number } | { type: 'alert'; alert: ReceivedAlert };

export interface WebhookReceiver {
  url: string;
  /** Every request received, in arrival order (retries included). */
  alerts: ReceivedAlert[];
  close(): void;
}

const here = dirname(fileURLToPath(import.meta.url));

export function startWebhookReceiver(): Promise<WebhookReceiver> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'webhook-receiver.child.ts')], {
    cwd: join(here, '..', '..', '..'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const alerts: ReceivedAlert[] = [];
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`webhook receiver exited (${code ?? signal})`)));
    child.on('message', (raw) => {
      const m = raw as ReceiverChildMessage;
      if (m.type === 'alert') alerts.push(m.alert);
      else
        resolve({
          url: `http://127.0.0.1:${m.port}/alerts`,
          alerts,
          close: () => {
            child.removeAllListeners('exit');
            child.disconnect();
          },
        });
    });
  });
}
