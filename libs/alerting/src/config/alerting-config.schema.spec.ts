import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PAGERDUTY_EVENTS_URL, parseAlertingConfig, parseAlertingConfigYaml, type AlertingConfig } from './alerting-config.schema.js';
import { Secret } from './secret.js';

const EXAMPLE = `
http: { port: 8080 }          # other sections belong to other libs
alerting:
  console_url: https://warden.example.com/console
  grouping:
    window: 10m
  throttle:
    max_notifications_per_window: 2
  retry:
    max_attempts: 5
    initial_delay_ms: 500
  sinks:
    - name: pagerduty-oncall
      type: pagerduty
      routing_key: R0UTINGKEY0000000000000000000001
      min_severity: high
    - name: slack-soc
      type: slack
      url: https://hooks.slack.com/services/T000/B000/XXXXXXXX
    - name: siem
      type: webhook
      url: https://siem.example.com/warden
      secret: whsec-0123456789abcdef
      tenants: [acme]
  routes:
    - sinks: [pagerduty-oncall, slack-soc]
      min_severity: medium
    - sinks: [siem]
`;

function ok(text: string): AlertingConfig {
  const result = parseAlertingConfigYaml(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  if (result.config === null) throw new Error('no alerting section');
  return result.config;
}

function errors(text: string) {
  const result = parseAlertingConfigYaml(text);
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('the alerting section of WARDEN_CONFIG', () => {
  it('parses a full example, filling the defaults', () => {
    const config = ok(EXAMPLE);
    expect(config.grouping.window).toBe(600_000);
    expect(config.throttle).toEqual({ max_notifications_per_window: 2, max_pagerduty_updates_per_window: 20 });
    expect(config.retry).toEqual({ max_attempts: 5, initial_delay_ms: 500, max_delay_ms: 300_000, timeout_ms: 10_000 });
    expect(config.sinks.map((s) => [s.name, s.type])).toEqual([
      ['pagerduty-oncall', 'pagerduty'],
      ['slack-soc', 'slack'],
      ['siem', 'webhook'],
    ]);
    const [pagerDuty, slack, webhook] = config.sinks;
    expect(pagerDuty.type === 'pagerduty' && pagerDuty.url).toBe(PAGERDUTY_EVENTS_URL);
    expect(pagerDuty.type === 'pagerduty' && pagerDuty.routing_key.reveal()).toBe('R0UTINGKEY0000000000000000000001');
    expect(slack.type === 'slack' && slack.url.reveal()).toBe('https://hooks.slack.com/services/T000/B000/XXXXXXXX');
    expect(webhook.type === 'webhook' && webhook.secret.reveal()).toBe('whsec-0123456789abcdef');
    expect(config.routes).toEqual([
      { sinks: ['pagerduty-oncall', 'slack-soc'], min_severity: 'medium' },
      { sinks: ['siem'] },
    ]);
  });

  it('defaults to a 5 minute window, one notification per group per window, and no routes (every sink)', () => {
    const config = ok('alerting:\n  console_url: https://warden.example.com\n');
    expect(config.grouping.window).toBe(300_000);
    expect(config.throttle.max_notifications_per_window).toBe(1);
    expect(config.sinks).toEqual([]);
    expect(config.routes).toBeUndefined();
  });

  it('reports a file without an alerting section as "not configured", not as an error', () => {
    expect(parseAlertingConfigYaml('http: { port: 8080 }\n')).toEqual({ ok: true, config: null });
    expect(parseAlertingConfigYaml('')).toEqual({ ok: true, config: null });
  });

  it('never prints a secret: JSON, util.inspect and string conversion all show [redacted]', () => {
    const config = ok(EXAMPLE);
    const printed = [JSON.stringify(config), inspect(config, { depth: 10 }), `${config.sinks.map((s) => Object.values(s).join(' ')).join(' ')}`].join('\n');
    expect(printed).not.toContain('R0UTINGKEY');
    expect(printed).not.toContain('whsec-');
    expect(printed).not.toContain('hooks.slack.com');
    expect(printed).toContain('[redacted]');
    expect(JSON.parse(JSON.stringify(config.sinks[2]))).toMatchObject({ secret: '[redacted]', url: 'https://siem.example.com/warden' });
    expect(new Secret('x').reveal()).toBe('x');
  });

  it('names the path of every problem, from the root of the file', () => {
    expect(
      errors(`
alerting:
  console_url: not-a-url
  grouping: { window: 5 minutes }
  sinks:
    - { name: pd, type: pagerduty }
    - { name: hook, type: webhook, url: https://x.example, secret: short }
    - { name: chat, type: teams, url: https://x.example }
`),
    ).toEqual([
      { path: 'alerting.console_url', message: 'expected an http(s) URL' },
      { path: 'alerting.sinks.0.routing_key', message: 'Invalid input: expected string, received undefined' },
      { path: 'alerting.sinks.1.secret', message: 'expected a signing secret of at least 16 characters' },
      { path: 'alerting.sinks.2.type', message: "Invalid discriminator value. Expected 'pagerduty' | 'slack' | 'webhook'" },
      { path: 'alerting.grouping.window', message: 'expected a duration such as "30s", "5m" or "1h"; got "5 minutes"' },
    ]);
  });

  it('refuses a route to a sink that does not exist, and two sinks with one name', () => {
    expect(
      errors(`
alerting:
  console_url: https://warden.example.com
  sinks:
    - { name: pd, type: pagerduty, routing_key: k }
    - { name: pd, type: slack, url: https://hooks.slack.com/services/x }
  routes:
    - sinks: [pd, pagerduty-oncal]
`),
    ).toEqual([
      { path: 'alerting.sinks.1.name', message: 'sink name "pd" is already used by sinks.0' },
      { path: 'alerting.routes.0.sinks.1', message: 'no sink is named "pagerduty-oncal"' },
    ]);
  });

  it('refuses unknown keys (a misspelt setting is not silently ignored)', () => {
    expect(errors('alerting:\n  console_url: https://w.example\n  throtle: {}\n')).toEqual([
      { path: 'alerting', message: 'Unrecognized key: "throtle"' },
    ]);
  });

  it('does not echo the value of a bad secret', () => {
    const result = parseAlertingConfig({
      alerting: { console_url: 'https://w.example', sinks: [{ name: 'hook', type: 'webhook', url: 'https://x.example', secret: 'tiny-secret' }] },
    });
    expect(JSON.stringify(result)).not.toContain('tiny-secret');
  });

  it('reports YAML syntax errors with their line, without quoting the file', () => {
    const [problem] = errors('alerting:\n  console_url: "https://w.example\n  sinks: []\n');
    expect(problem.path).toMatch(/^line \d+$/);
    expect(problem.message).toMatch(/^not valid YAML: /);
    expect(problem.message).not.toContain('\n');
  });
});
