/**
 * Child-process entry of the steady producer (see steady-producer.ts): reads
 * its options from BENCH_STEADY_PRODUCER and reports over the IPC channel.
 */
import { type ProducerChildMessage, type SteadyProducerOptions, runSteadyProducer } from './steady-producer.js';

const tell = (message: ProducerChildMessage) => new Promise<void>((resolve) => (process.send ? process.send(message, undefined, {}, () => resolve()) : resolve()));

// The parent went away: nothing to report to.
process.on('disconnect', () => process.exit(2));

const raw = process.env.BENCH_STEADY_PRODUCER;
if (!raw) throw new Error('BENCH_STEADY_PRODUCER (JSON options) is not set');
const options = JSON.parse(raw) as SteadyProducerOptions;

runSteadyProducer(options, {
  onStarted: (at_ms) => void tell({ type: 'started', at_ms }),
  onTrigger: (trigger) => void tell({ type: 'trigger', trigger }),
  onProgress: (progress) => void tell({ type: 'progress', progress }),
})
  .then(async (stats) => {
    await tell({ type: 'done', stats });
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    await tell({ type: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    process.exit(1);
  });
