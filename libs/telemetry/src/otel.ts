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

let started: Telemetry | null = null;

/**
 * Starts OpenTelemetry before the app: traces and metrics go to OTLP when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OTEL_* variables are
 * honoured by the exporters), and metrics are always scrapeable at /metrics.
 * Without an endpoint nothing is sent anywhere. Idempotent per process.
 */
export function startTelemetry(options: { env?: NodeJS.ProcessEnv; extraSpanProcessors?: SpanProcessor[] } = {}): Telemetry {
  if (started) return started;
  const env = options.env ?? process.env;
  const otlp = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const metricReaders: IMetricReader[] = [prometheus];
  if (otlp) metricReaders.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: 15_000 }));
  const spanProcessors: SpanProcessor[] = [...(options.extraSpanProcessors ?? [])];
  if (otlp) spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'warden',
    metricReaders,
    spanProcessors: spanProcessors as never,
    instrumentations: [],
  });
  sdk.start();
  started = { prometheus, shutdown: () => sdk.shutdown() };
  return started;
}

export function runningTelemetry(): Telemetry | null {
  return started;
}
