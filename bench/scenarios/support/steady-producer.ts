/**
 * A steady-rate Kafka producer for the scenarios that need traffic at a
 * given rate rather than as fast as possible (detection latency, memory soak).
 *
 * Every `tickMs` it sends what the schedule says is due (rate × elapsed −
 * sent), so timer jitter is caught up on the next tick instead of lowering
 * the rate. At most `maxInFlight` sends await their acks (acks = -1); past
 * that the producer holds back and the backlog grows, and that is reported
 * (held-back ticks, largest backlog, per-second rates) rather than hidden.
 *
 * Events are live traffic: each occurred when it is sent (benign ones as
 * well as triggers), so a batch spans the seconds it was produced in, as a
 * gateway's stream would.
 *
 * Run it in a child process (`spawnSteadyProducer`) so that its CPU, heap and
 * event loop are not the measured process's; `runSteadyProducer` is the same
 * loop in-process.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, type Message, Partitioners, logLevel } from 'kafkajs';
import { benchEvent } from './events.js';
import { triggerEvent } from './trigger-events.js';

export interface SteadyProducerOptions {
  brokers: string[];
  topic: string;
  /** Events per second, trigger events included. */
  rate: number;
  durationS: number;
  /** Prefix of every event_id: unique per run. */
  tag: string;
  /** Default 25 ms: 40 sends a second. */
  tickMs?: number;
  /** Sends awaiting their ack before the producer holds back (default 16). */
  maxInFlight?: number;
  /** One trigger event (support/trigger-events.ts) every `everyMs`, the first after `startAfterS`. */
  triggers?: { everyMs: number; startAfterS: number };
  /**
   * Every n-th benign event is an agent's action that needed confirmation and
   * went ahead without it (action-without-required-confirmation fires on
   * each): a noisy rule, which keeps ingest's batches urgent. 0 or unset: none.
   */
  noisyEvery?: number;
}

export interface TriggerSent {
  n: number;
  event_id: string;
  principal: string;
  /** Date.now() just before the send that carried it: also its occurred_at. */
  sent_at_ms: number;
  /** Date.now() when that send resolved (acks = -1), or null if it failed. */
  acked_at_ms: number | null;
  error?: string;
}

export interface ProducerProgress {
  elapsed_s: number;
  sent: number;
  acked: number;
  failed: number;
  in_flight: number;
}

export interface SteadyProducerStats {
  target_rate: number;
  scheduled_seconds: number;
  /** Messages handed to send / acknowledged / whose send failed. */
  sent: number;
  acked: number;
  failed: number;
  triggers: number;
  /** From the first send to the last ack. */
  produce_seconds: number;
  /** acked / produce_seconds. */
  achieved_rate: number;
  /** Acknowledged events per second, bucketed by when their send began; full seconds of the schedule only. */
  per_second: { min: number; p50: number; max: number; seconds_below_95pct: number };
  /** Most events due but not yet handed to send at a tick (one tick's worth, rate × tickMs, is normal). */
  max_backlog: number;
  /** Ticks at which `maxInFlight` sends were unacknowledged, so nothing was sent. */
  ticks_held_back: number;
  send_ack_ms: { p50: number; p99: number; max: number };
  average_event_bytes: number;
  tick_ms: number;
  max_in_flight: number;
  errors: string[];
}

export interface SteadyProducerHooks {
  onStarted?: (atMs: number) => void;
  onTrigger?: (trigger: TriggerSent) => void;
  onProgress?: (progress: ProducerProgress) => void;
}

const nearestRank = (sorted: number[], q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]);

export async function runSteadyProducer(o: SteadyProducerOptions, hooks: SteadyProducerHooks = {}): Promise<SteadyProducerStats> {
  const tickMs = o.tickMs ?? 25;
  const maxInFlight = o.maxInFlight ?? 16;
  const total = Math.round(o.rate * o.durationS);
  const producer = new Kafka({ clientId: 'bench-steady-producer', brokers: o.brokers, logLevel: logLevel.ERROR }).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();

  let benign = 0;
  let triggers = 0;
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let bytes = 0;
  let inFlight = 0;
  let maxBacklog = 0;
  let heldBack = 0;
  let lastAck = 0;
  const perSecond: number[] = [];
  const ackMs: number[] = [];
  const errors: string[] = [];
  const pending = new Set<Promise<void>>();
  let nextTriggerMs = (o.triggers?.startAfterS ?? 0) * 1000;

  const start = performance.now();
  hooks.onStarted?.(Date.now());
  const progress = setInterval(() => hooks.onProgress?.({ elapsed_s: (performance.now() - start) / 1000, sent, acked, failed, in_flight: inFlight }), 1000);

  const send = (messages: Message[], trigger: TriggerSent | null) => {
    const began = performance.now();
    const second = Math.floor((began - start) / 1000);
    inFlight++;
    const p = producer
      .send({ topic: o.topic, acks: -1, messages })
      .then(
        () => {
          const now = performance.now();
          lastAck = now;
          acked += messages.length;
          perSecond[second] = (perSecond[second] ?? 0) + messages.length;
          ackMs.push(now - began);
          if (trigger) hooks.onTrigger?.({ ...trigger, acked_at_ms: Date.now() });
        },
        (error: unknown) => {
          failed += messages.length;
          const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          if (errors.length < 5) errors.push(text);
          if (trigger) hooks.onTrigger?.({ ...trigger, acked_at_ms: null, error: text });
        },
      )
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsedMs = performance.now() - start;
      const due = Math.min(total, Math.floor((o.rate * elapsedMs) / 1000)) - sent;
      if (due > maxBacklog) maxBacklog = due;
      if (due > 0 && inFlight >= maxInFlight) heldBack++;
      else if (due > 0) {
        // At most a quarter of a second per send, so a catch-up does not become one huge request.
        let count = Math.min(due, Math.max(1, Math.ceil(o.rate / 4)));
        const messages: Message[] = [];
        let trigger: TriggerSent | null = null;
        if (o.triggers && elapsedMs >= nextTriggerMs) {
          nextTriggerMs += o.triggers.everyMs;
          const sentAtMs = Date.now();
          const event = triggerEvent(triggers, o.tag, sentAtMs);
          const value = JSON.stringify(event);
          bytes += value.length;
          messages.push({ key: event.principal.id, value });
          trigger = { n: triggers, event_id: event.event_id, principal: event.principal.id, sent_at_ms: sentAtMs, acked_at_ms: null };
          triggers++;
          count--;
        }
        // Live traffic: each event occurred about when it is sent, as an agent gateway would report it.
        const occurredAt = new Date().toISOString();
        for (let k = 0; k < count; k++) {
          const base = benchEvent(benign, o.tag);
          const noisy = o.noisyEvery !== undefined && o.noisyEvery > 0 && benign % o.noisyEvery === 0;
          benign++;
          const event = { ...base, occurred_at: occurredAt, ...(noisy ? { action: { ...base.action, type: 'message.post', confirmation: { required: true, obtained: false } } } : {}) };
          const value = JSON.stringify(event);
          bytes += value.length;
          messages.push({ key: event.principal.id, value });
        }
        sent += messages.length;
        send(messages, trigger);
      }
      if (sent >= total) resolve();
      else setTimeout(tick, tickMs);
    };
    tick();
  });
  const scheduleEnd = performance.now();
  while (pending.size > 0) await Promise.allSettled([...pending]);
  clearInterval(progress);
  hooks.onProgress?.({ elapsed_s: (performance.now() - start) / 1000, sent, acked, failed, in_flight: inFlight });
  await producer.disconnect();

  const fullSeconds = Math.min(Math.floor((scheduleEnd - start) / 1000), Math.floor(o.durationS));
  const rates = Array.from({ length: fullSeconds }, (_, s) => perSecond[s] ?? 0);
  const sortedRates = [...rates].sort((a, b) => a - b);
  const sortedAck = [...ackMs].sort((a, b) => a - b);
  const produceSeconds = ((lastAck || performance.now()) - start) / 1000;
  const round1 = (n: number) => Math.round(n * 10) / 10;
  return {
    target_rate: o.rate,
    scheduled_seconds: o.durationS,
    sent,
    acked,
    failed,
    triggers,
    produce_seconds: round1(produceSeconds),
    achieved_rate: Math.round(acked / produceSeconds),
    per_second: {
      min: sortedRates[0] ?? 0,
      p50: nearestRank(sortedRates, 0.5),
      max: sortedRates[sortedRates.length - 1] ?? 0,
      seconds_below_95pct: rates.filter((r) => r < 0.95 * o.rate).length,
    },
    max_backlog: maxBacklog,
    ticks_held_back: heldBack,
    send_ack_ms: { p50: round1(nearestRank(sortedAck, 0.5)), p99: round1(nearestRank(sortedAck, 0.99)), max: round1(sortedAck[sortedAck.length - 1] ?? 0) },
    average_event_bytes: sent === 0 ? 0 : Math.round(bytes / sent),
    tick_ms: tickMs,
    max_in_flight: maxInFlight,
    errors,
  };
}

/** What the child process tells its parent (over the IPC channel). */
export type ProducerChildMessage =
  | { type: 'started'; at_ms: number }
  | { type: 'trigger'; trigger: TriggerSent }
  | { type: 'progress'; progress: ProducerProgress }
  | { type: 'done'; stats: SteadyProducerStats }
  | { type: 'error'; message: string };

export interface SpawnedProducer {
  /** Wall-clock ms when the child began producing. */
  started: Promise<number>;
  done: Promise<SteadyProducerStats>;
  /** Latest progress report (about once a second). */
  progress(): ProducerProgress | null;
  pid: number | undefined;
  kill(): void;
}

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, '..', '..', '..');

/** Runs the producer in its own Node process (`node --import tsx steady-producer.child.ts`). */
export function spawnSteadyProducer(o: SteadyProducerOptions, hooks: Pick<SteadyProducerHooks, 'onTrigger' | 'onProgress'> = {}): SpawnedProducer {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'steady-producer.child.ts')], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_STEADY_PRODUCER: JSON.stringify(o) },
  });
  let last: ProducerProgress | null = null;
  let onStarted: (at: number) => void = () => undefined;
  const started = new Promise<number>((resolve) => (onStarted = resolve));
  const done = new Promise<SteadyProducerStats>((resolve, reject) => {
    let result: SteadyProducerStats | null = null;
    let failure: string | null = null;
    child.on('message', (raw) => {
      const m = raw as ProducerChildMessage;
      if (m.type === 'started') onStarted(m.at_ms);
      else if (m.type === 'trigger') hooks.onTrigger?.(m.trigger);
      else if (m.type === 'progress') {
        last = m.progress;
        hooks.onProgress?.(m.progress);
      } else if (m.type === 'done') result = m.stats;
      else failure = m.message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result) resolve(result);
      else reject(new Error(`steady producer exited (${code ?? signal}) without a result${failure ? `: ${failure}` : ''}`));
    });
  });
  // Nobody waits on `started` if the child fails first.
  done.catch(() => undefined);
  return { started, done, progress: () => last, pid: child.pid, kill: () => void child.kill('SIGTERM') };
}
