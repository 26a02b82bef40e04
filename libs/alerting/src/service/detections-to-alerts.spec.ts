import { instantFromDate } from '@warden/common';
import type { AgentAction } from '@warden/contracts';
import { describe, expect, it } from 'vitest';
import { AlertDispatcher } from '../dispatcher/alert-dispatcher.js';
import { InMemoryAlertOutbox } from '../outbox/in-memory-alert-outbox.js';
import type { HttpTransport } from '../sinks/http-transport.js';
import type { SinkRequest } from '../sinks/alert-sink.js';
import { alertingConfig, detection, T0, WEBHOOK_SECRET, outboxFailingFirst } from '../testing/alerting.fixtures.js';
import { ACCEPT_ATTEMPTS, detectionsToAlerts } from './detections-to-alerts.js';

const HOOK = { name: 'hook', type: 'webhook', url: 'https://siem.example.test/hook', secret: WEBHOOK_SECRET } as const;

function setup(outbox = new InMemoryAlertOutbox()) {
  const sent: SinkRequest[] = [];
  const transport: HttpTransport = { post: async (request) => (sent.push(request), { kind: 'delivered', status: 202 }) };
  const dispatcher = new AlertDispatcher({ config: alertingConfig({ sinks: [HOOK] }), outbox, transport, clock: () => T0 });
  const warnings: object[] = [];
  const logger = { info: () => undefined, warn: (fields: object) => void warnings.push(fields), error: () => undefined };
  const waits: number[] = [];
  const listener = detectionsToAlerts({ dispatcher, policy: { initialMs: 100, maxMs: 1000 }, logger, sleep: async (ms) => void waits.push(ms) });
  return { dispatcher, outbox, sent, warnings, waits, listener };
}

/** What detection hands its listeners with a batch: its ingest time and its events. */
const context = { ingestedAt: instantFromDate(new Date(T0)), events: [] as AgentAction[] };

describe('detections handed to alerting', () => {
  it('go to the dispatcher together, the most severe first', async () => {
    const { dispatcher, outbox, listener } = setup();
    await dispatcher.start();
    await listener([detection({ trigger: 'low', severity: 'low', principal_id: 'agent-1' }), detection({ trigger: 'crit', severity: 'critical', principal_id: 'agent-2' })], context);
    expect(outbox.detectionRows.map((r) => r.detection.trigger_event_id)).toEqual(['crit', 'low']);
  });

  it('are accepted again after the outbox failed, so the alert is delayed rather than lost, and goes out once', async () => {
    const outbox = outboxFailingFirst('saveAlerts', 2);
    const { dispatcher, sent, warnings, waits, listener } = setup(outbox);
    await dispatcher.start();
    await listener([detection({ trigger: 'e1' })], context);
    await dispatcher.idle();
    expect(sent).toHaveLength(1);
    expect(await outbox.listAlerts('acme')).toEqual([expect.objectContaining({ count: 1 })]);
    expect(outbox.detectionRows).toHaveLength(1);
    expect(warnings).toEqual([expect.objectContaining({ attempt: 1 }), expect.objectContaining({ attempt: 2 })]);
    expect(waits).toHaveLength(2);
  });

  it(`are given up after ${ACCEPT_ATTEMPTS} failed tries, as the listener's failure`, async () => {
    const outbox = new InMemoryAlertOutbox();
    let tries = 0;
    outbox.priorEffects = async () => {
      tries++;
      throw new Error('storage went away');
    };
    const { dispatcher, listener } = setup(outbox);
    await dispatcher.start();
    await expect(listener([detection({ trigger: 'e1' })], context)).rejects.toThrow('storage went away');
    expect(tries).toBe(ACCEPT_ATTEMPTS);
  });

  it('are not retried once the dispatcher has stopped', async () => {
    const { dispatcher, waits, listener } = setup();
    await dispatcher.start();
    await dispatcher.stop();
    await expect(listener([detection({ trigger: 'e1' })], context)).rejects.toMatchObject({ code: 'ALERTING.STOPPED' });
    expect(waits).toEqual([]);
  });
});
