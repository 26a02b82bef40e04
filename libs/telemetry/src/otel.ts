import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { type IMetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface Telemetry {
  /** Serves the Prometheus text format for GET /metrics. */
  prometheus: PrometheusExporter;
  shutdown(): Promise<void>;
}

/**
 * Forwards to processors added at any time. OpenTelemetry's global providers
 * can be registered once per process, so later callers (a test adding an
 * in-memory exporter) join the running SDK through this instead.
 */
class SpanProcessorFanOut implements SpanProcessor {
  readonly processors: SpanProcessor[] = [];
  onStart(...args: Parameters<SpanProcessor['onStart']>): void {
    for (const p of this.processors) p.onStart(...args);
  }
  onEnd(...args: Parameters<SpanProcessor['onEnd']>): void {
    for (const p of this.processors) p.onEnd(...args);
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.forceFlush()));
  }
  async shutdown(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.shutdown()));
  }
}

interface RunningTelemetry extends Telemetry {
  fanOut: SpanProcessorFanOut;
}

// Process-wide, like OpenTelemetry's own globals (a module may be loaded more than once in a process).
const STARTED = Symbol.for('warden.telemetry');
const holder = globalThis as unknown as { [STARTED]?: RunningTelemetry };

/**
 * Starts OpenTelemetry before the app: traces and metrics go to OTLP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OTEL_* variables are
 * honoured by the exporters), and metrics are always scrapeable at /metrics.
 * Without an endpoint nothing is sent anywhere. Idempotent per process.
 */
export function startTelemetry(options: { env?: NodeJS.ProcessEnv; extraSpanProcessors?: SpanProcessor[] } = {}): Telemetry {
  const running = holder[STARTED];
  if (running) {
    running.fanOut.processors.push(...(options.extraSpanProcessors ?? []));
    return running;
  }
  const env = options.env ?? process.env;
  const otlp = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const metricReaders: IMetricReader[] = [prometheus];
  if (otlp) metricReaders.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: 15_000 }));
  const fanOut = new SpanProcessorFanOut();
  fanOut.processors.push(...(options.extraSpanProcessors ?? []));
  if (otlp) fanOut.processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'warden',
    metricReaders,
    spanProcessors: [fanOut] as never,
    instrumentations: [],
  });
  sdk.start();
  const started: RunningTelemetry = { prometheus, fanOut, shutdown: () => sdk.shutdown() };
  holder[STARTED] = started;
  return started;
}

export function runningTelemetry(): Telemetry | null {
  return holder[STARTED] ?? null;
}
