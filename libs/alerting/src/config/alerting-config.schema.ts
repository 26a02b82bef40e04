import { readFile } from 'node:fs/promises';
import { severitySchema } from '@warden/detection';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { AlertingConfigError, type ConfigIssue } from '../alerting.errors.js';
import { durationSchema } from './duration.js';
import { Secret } from './secret.js';

/** Events API v2 endpoint; overridable so tests and proxies can stand in for PagerDuty. */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' });

/**
 * A credential. Marked in the schema's metadata (so generated docs and
 * tooling know) and turned into a `Secret` on parse (so it cannot be logged).
 */
const secret = <T extends z.ZodType<string>>(inner: T) => inner.transform((value) => new Secret(value)).meta({ secret: true });

const sinkName = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'expected a lower-case name: letters, digits, "-" and "_"');
const tenantList = z.array(z.string().min(1)).min(1);

/** Filters every sink can carry: a sink never receives what it does not want, whatever the routes say. */
const sinkFilters = {
  name: sinkName,
  /** Lowest severity this sink receives (info < low < medium < high < critical). */
  min_severity: severitySchema.optional(),
  /** Only detections of these tenants; every tenant when absent. */
  tenants: tenantList.optional(),
};

export const pagerDutySinkSchema = z.strictObject({
  ...sinkFilters,
  type: z.literal('pagerduty'),
  url: httpUrl.default(PAGERDUTY_EVENTS_URL),
  /** The integration key of a PagerDuty service (Events API v2). */
  routing_key: secret(z.string().min(1, 'expected the Events API v2 integration key')),
});

export const slackSinkSchema = z.strictObject({
  ...sinkFilters,
  type: z.literal('slack'),
  /** An incoming-webhook URL carries its own credential in the path, so the whole URL is a secret. */
  url: secret(httpUrl),
});

export const webhookSinkSchema = z.strictObject({
  ...sinkFilters,
  type: z.literal('webhook'),
  url: httpUrl,
  /** HMAC-SHA256 key shared with the receiver; at least 16 characters so it cannot be guessed. */
  secret: secret(z.string().min(16, 'expected a signing secret of at least 16 characters')),
});

export const sinkConfigSchema = z.discriminatedUnion('type', [pagerDutySinkSchema, slackSinkSchema, webhookSinkSchema]);
export type SinkConfig = z.output<typeof sinkConfigSchema>;
export type SinkType = SinkConfig['type'];

/**
 * A route sends the detections it matches to its sinks. Every given
 * criterion must hold; every matching route contributes (there is no
 * "first match wins" that could quietly starve a later route).
 */
export const routeSchema = z.strictObject({
  sinks: z.array(sinkName).min(1),
  tenants: tenantList.optional(),
  min_severity: severitySchema.optional(),
  rules: z.array(z.string().min(1)).min(1).optional(),
});
export type RouteConfig = z.output<typeof routeSchema>;

export const alertingRetrySchema = z.strictObject({
  /** Attempts in all, the first included; then the delivery is failed and stays listed. */
  max_attempts: z.int().min(1).max(50).default(12),
  initial_delay_ms: z.int().min(1).max(60_000).default(1_000),
  max_delay_ms: z.int().min(1).max(3_600_000).default(300_000),
  /** Bound on one HTTP attempt. */
  timeout_ms: z.int().min(100).max(120_000).default(10_000),
});
export type AlertingRetryPolicy = z.output<typeof alertingRetrySchema>;

export const alertingConfigSchema = z
  .strictObject({
    /** Base URL of the Warden console; alerts link to `<console_url>/detections/<detection_id>`. */
    console_url: httpUrl,
    sinks: z.array(sinkConfigSchema).default([]),
    /** Absent: every sink receives every detection its own filters accept. */
    routes: z.array(routeSchema).min(1, 'omit routes to send to every sink').optional(),
    grouping: z
      .strictObject({
        /** Detections of one group (rule, tenant, principal) within this window are one notification. */
        window: durationSchema({ min: '1s', max: '24h' }).default(5 * 60_000),
      })
      .prefault({}),
    throttle: z
      .strictObject({
        /** Slack and webhook notifications per group per window; the rest only update the alert's count. */
        max_notifications_per_window: z.int().min(1).max(1_000).default(1),
        /**
         * PagerDuty re-triggers with the same dedup_key do not page anyone again (they update the incident),
         * so they are allowed more often; the cap keeps a storm under PagerDuty's rate limit.
         */
        max_pagerduty_updates_per_window: z.int().min(1).max(1_000).default(20),
      })
      .prefault({}),
    retry: alertingRetrySchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.sinks.forEach((sink, i) => {
      if (seen.has(sink.name)) {
        ctx.addIssue({ code: 'custom', path: ['sinks', i, 'name'], message: `sink name "${sink.name}" is already used by sinks.${seen.get(sink.name)}` });
      } else seen.set(sink.name, i);
    });
    config.routes?.forEach((route, r) =>
      route.sinks.forEach((name, s) => {
        if (!seen.has(name)) ctx.addIssue({ code: 'custom', path: ['routes', r, 'sinks', s], message: `no sink is named "${name}"` });
      }),
    );
    if (config.retry.max_delay_ms < config.retry.initial_delay_ms) {
      ctx.addIssue({ code: 'custom', path: ['retry', 'max_delay_ms'], message: 'expected at least initial_delay_ms' });
    }
  });
export type AlertingConfigInput = z.input<typeof alertingConfigSchema>;
export type AlertingConfig = z.output<typeof alertingConfigSchema>;

export type AlertingConfigResult =
  /** `config` is null when the file has no `alerting:` section: alerting is not configured. */
  | { ok: true; config: AlertingConfig | null }
  | { ok: false; errors: ConfigIssue[] };

/** The WARDEN_CONFIG document: other sections belong to other libs and are not looked at here. */
const configFileSchema = z.looseObject({ alerting: z.unknown().optional() });

/**
 * Validates an already-parsed WARDEN_CONFIG document (the whole file) and
 * returns its `alerting:` section, or every problem with its path. Messages
 * never include the offending value, so a mistyped secret is not echoed.
 */
export function parseAlertingConfig(document: unknown): AlertingConfigResult {
  const file = configFileSchema.safeParse(document ?? {});
  if (!file.success) return { ok: false, errors: [{ path: '(root)', message: 'expected a YAML mapping at the top of the file' }] };
  if (file.data.alerting === undefined || file.data.alerting === null) return { ok: true, config: null };
  const parsed = alertingConfigSchema.safeParse(file.data.alerting);
  if (parsed.success) return { ok: true, config: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => ({ path: ['alerting', ...issue.path.map(String)].join('.'), message: issue.message })),
  };
}

/** Same, from the YAML text. */
export function parseAlertingConfigYaml(text: string): AlertingConfigResult {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? `line ${error.linePos[0].line}` : '(yaml)';
    return { ok: false, errors: [{ path: where, message: `not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` }] };
  }
  return parseAlertingConfig(document);
}

/** Reads the file named by WARDEN_CONFIG (the caller passes the path); throws AlertingConfigError listing every problem. */
export async function loadAlertingConfig(path: string): Promise<AlertingConfig | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AlertingConfigError([{ path: '(file)', message: `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  const result = parseAlertingConfigYaml(text);
  if (!result.ok) throw new AlertingConfigError(result.errors);
  return result.config;
}
