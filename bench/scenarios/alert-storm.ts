/**
 * Scenario "alert-storm": one batch raising many detections at once (a mass
 * deletion by many agents, say) and what it costs to get them to on-call.
 * The dispatcher runs on the embedded engine's outbox (ClickHouseAlertOutbox)
 * with one webhook sink, a receiver in its own process on loopback. Each run
 * hands it BENCH_STORM (50) detections of as many principals, and times from
 * the hand-over to every webhook received. "one by one": an accept per
 * detection, side by side (how the batch was handed over before: five
 * statements each); "together": acceptAll (how AlertingService hands a batch
 * over now: one read per tenant and one write per table). The two alternate,
 * BENCH_RUNS (8) runs each.
 */
import { type AlertDispatcher, type DetectionTiming, ALERTING_MIGRATIONS, alertingConfigSchema, createAlerting } from '@warden/alerting';
import type { Detection } from '@warden/detection';
import { detectionId, groupKey } from '@warden/detection';
import { Migrator, TableNames, createClickHouseClient } from '@warden/storage';
import { tempDir } from '@warden/testing';
import type { BenchFigure } from '../scenario.js';
import { ms, quantile, runScenario, type ScenarioResult } from '../scenario.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 8);
const STORM = Number(process.env.BENCH_STORM ?? 50);

function detection(run: string, i: number): Detection {
  const rule_id = 'mass-deletion-burst';
  const tenant = 'default';
  const principal_id = `agent-${run}-${i}`;
  const trigger = `storm-${run}-${i}`;
  const now = new Date().toISOString();
  return {
    rule_id,
    rule_kind: 'threshold',
    severity: 'high',
    title: 'Mass deletion burst',
    summary: `${principal_id} deleted 40 messages in 60s`,
    tenant,
    principal_id,
    detection_id: detectionId(rule_id, tenant, trigger),
    group_key: groupKey(rule_id, tenant, principal_id),
    trigger_event_id: trigger,
    evidence_event_ids: [trigger],
    first_seen: now,
    last_seen: now,
    count: 40,
    auto_contain: false,
  };
}

async function main(): Promise<ScenarioResult> {
  const receiver = await startWebhookReceiver();
  const data = tempDir('warden-bench-');
  const tables = new TableNames('bench_alert_storm');
  const client = createClickHouseClient({ kind: 'embedded', dataDir: data.path, database: tables.database });
  let dispatcher: AlertDispatcher | undefined;
  try {
    await new Migrator(client, tables, ALERTING_MIGRATIONS).migrate();
    const config = alertingConfigSchema.parse({
      console_url: 'http://127.0.0.1:8080/console',
      sinks: [{ name: 'bench-webhook', type: 'webhook', url: receiver.url, secret: 'bench-storm-webhook-secret-0123456789' }],
    });
    ({ dispatcher } = createAlerting({ config, client, tables }));
    await dispatcher.start();
    const times = { one_by_one: [] as number[], together: [] as number[] };
    for (let run = 0; run < RUNS * 2; run++) {
      const mode = run % 2 === 0 ? 'one_by_one' : 'together';
      const items = Array.from({ length: STORM }, (_, i) => {
        const d = detection(`${run}`, i);
        const timing: DetectionTiming = { occurred_at: d.first_seen, ingested_at: d.first_seen };
        return { detection: d, timing };
      });
      const before = receiver.alerts.length;
      const started = performance.now();
      if (mode === 'together') await dispatcher.acceptAll(items);
      else await Promise.all(items.map(({ detection: d, timing }) => dispatcher?.accept(d, timing)));
      while (receiver.alerts.length < before + STORM) await new Promise((r) => setTimeout(r, 2));
      times[mode].push(performance.now() - started);
      await dispatcher.idle();
    }
    const p50 = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
    const figures: BenchFigure[] = [
      { name: `${STORM} detections, one accept each side by side: hand-over → all webhooks received, p50`, value: ms(p50(times.one_by_one)), unit: 'ms', note: `over ${RUNS} runs` },
      { name: `${STORM} detections, acceptAll: hand-over → all webhooks received, p50`, value: ms(p50(times.together)), unit: 'ms', note: `over ${RUNS} runs` },
    ];
    return {
      title: `Alert storm: ${STORM} detections of one batch to a webhook (embedded outbox, receiver on loopback), one accept each vs acceptAll, ${RUNS} runs each`,
      figures,
      ratios: [{ name: 'acceptAll / one accept each', value: Math.round((p50(times.together) / p50(times.one_by_one)) * 100) / 100, unit: '' }],
      context: { runs: RUNS, detections_per_run: STORM, sinks: 1, runs_ms: { one_by_one: times.one_by_one.map(ms), together: times.together.map(ms) } },
    };
  } finally {
    await dispatcher?.stop();
    receiver.close();
    await client.close();
    data.cleanup();
  }
}

runScenario('alert-storm', main);
