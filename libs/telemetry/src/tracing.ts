import { type Attributes, type Context, type Link, type Span, SpanKind, SpanStatusCode, context, defaultTextMapGetter, defaultTextMapSetter, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

// Warden speaks W3C trace context on Kafka headers, whatever global propagator is (or is not) installed.
const w3c = new W3CTraceContextPropagator();

export const tracer = () => trace.getTracer('warden');

/** Runs `work` in a child span of the active context; records errors; always ends the span. */
export async function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>, options: { parent?: Context; links?: Link[]; kind?: SpanKind } = {}): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { attributes, links: options.links, kind: options.kind ?? SpanKind.INTERNAL }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

type Headers = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** The trace context a producer put in Kafka headers (W3C traceparent), if any. */
export function contextFromHeaders(headers: Headers | undefined): Context | null {
  if (!headers) return null;
  const carrier: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    carrier[k.toLowerCase()] = Array.isArray(v) ? String(v[0]) : String(v);
  }
  if (!carrier.traceparent) return null;
  return w3c.extract(context.active(), carrier, defaultTextMapGetter);
}

/** W3C trace headers for the active context, to put on an outgoing Kafka message or HTTP call. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  w3c.inject(context.active(), carrier, defaultTextMapSetter);
  return carrier;
}

export { SpanKind };
