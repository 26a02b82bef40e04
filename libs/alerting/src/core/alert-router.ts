import type { Detection } from '@warden/detection';
import type { AlertingConfig, RouteConfig, SinkConfig, SinkType } from '../config/alerting-config.schema.js';
import { severityAtLeast } from './alert.model.js';

export interface RoutedSink {
  name: string;
  type: SinkType;
}

function routeMatches(route: RouteConfig, detection: Detection): boolean {
  return (
    severityAtLeast(detection.severity, route.min_severity) &&
    (route.tenants === undefined || route.tenants.includes(detection.tenant)) &&
    (route.rules === undefined || route.rules.includes(detection.rule_id))
  );
}

function sinkAccepts(sink: SinkConfig, detection: Detection): boolean {
  return severityAtLeast(detection.severity, sink.min_severity) && (sink.tenants === undefined || sink.tenants.includes(detection.tenant));
}

/**
 * Which sinks a detection goes to, in configuration order: the union of the
 * matching routes' sinks (every sink when no routes are configured), each
 * then checked against its own filters. Pure and deterministic.
 */
export function routeDetection(detection: Detection, config: Pick<AlertingConfig, 'sinks' | 'routes'>): RoutedSink[] {
  const wanted =
    config.routes === undefined
      ? new Set(config.sinks.map((s) => s.name))
      : new Set(config.routes.filter((r) => routeMatches(r, detection)).flatMap((r) => r.sinks));
  return config.sinks.filter((s) => wanted.has(s.name) && sinkAccepts(s, detection)).map((s) => ({ name: s.name, type: s.type }));
}
