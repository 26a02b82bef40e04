import { describe, expect, it } from 'vitest';
import type { AlertingConfigInput } from '../config/alerting-config.schema.js';
import { alertingConfig, detection, ROUTING_KEY, WEBHOOK_SECRET } from '../testing/alerting.fixtures.js';
import { routeDetection } from './alert-router.js';

const sinks: AlertingConfigInput['sinks'] = [
  { name: 'pd', type: 'pagerduty', routing_key: ROUTING_KEY, min_severity: 'high' },
  { name: 'slack-acme', type: 'slack', url: 'https://hooks.slack.com/services/a', tenants: ['acme'] },
  { name: 'siem', type: 'webhook', url: 'https://siem.example.test/hook', secret: WEBHOOK_SECRET },
];

const names = (config: ReturnType<typeof alertingConfig>, overrides: Parameters<typeof detection>[0]) =>
  routeDetection(detection(overrides), config).map((s) => `${s.type}:${s.name}`);

describe('routing a detection to sinks', () => {
  it('without routes, sends to every sink whose own filters accept the detection', () => {
    const config = alertingConfig({ sinks });
    expect(names(config, { trigger: 'e1', severity: 'critical' })).toEqual(['pagerduty:pd', 'slack:slack-acme', 'webhook:siem']);
    expect(names(config, { trigger: 'e1', severity: 'medium' })).toEqual(['slack:slack-acme', 'webhook:siem']);
    expect(names(config, { trigger: 'e1', severity: 'medium', tenant: 'globex' })).toEqual(['webhook:siem']);
  });

  it('with routes, sends to the union of the matching routes, each sink once, in configuration order', () => {
    const config = alertingConfig({
      sinks,
      routes: [
        { sinks: ['siem'], rules: ['permission-widening'] },
        { sinks: ['pd', 'siem'], min_severity: 'critical' },
        { sinks: ['slack-acme'], tenants: ['acme'] },
      ],
    });
    expect(names(config, { trigger: 'e1', severity: 'critical' })).toEqual(['pagerduty:pd', 'slack:slack-acme', 'webhook:siem']);
    expect(names(config, { trigger: 'e1', severity: 'high' })).toEqual(['slack:slack-acme']);
    expect(names(config, { trigger: 'e1', severity: 'low', rule_id: 'permission-widening', tenant: 'globex' })).toEqual(['webhook:siem']);
  });

  it('a sink filter wins over a route: a route cannot send a sink what the sink refuses', () => {
    const config = alertingConfig({ sinks, routes: [{ sinks: ['pd', 'slack-acme'] }] });
    expect(names(config, { trigger: 'e1', severity: 'low', tenant: 'globex' })).toEqual([]);
  });

  it('routes nothing when no sinks are configured', () => {
    expect(names(alertingConfig(), { trigger: 'e1', severity: 'critical' })).toEqual([]);
  });
});
