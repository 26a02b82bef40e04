import { checkAgentAction } from '@warden/contracts';
import { describe, expect, it } from 'vitest';
import { benignTraffic } from '../testing/benign-traffic.fixture.js';
import { T0 } from '../testing/event.fixture.js';
import { replay } from '../testing/scenario.fixture.js';

const traffic = benignTraffic({ seed: 20261124, count: 6_000, startMs: T0 });

describe('benign traffic (the background of the incident replays)', () => {
  it('is valid contract v1, deterministic for a seed, and spans about half an hour', () => {
    expect(traffic.events.filter((e) => !checkAgentAction(e).ok)).toEqual([]);
    expect(benignTraffic({ seed: 20261124, count: 6_000, startMs: T0 })).toEqual(traffic);
    const span = Date.parse(traffic.events[traffic.events.length - 1].occurred_at) - T0;
    expect(span).toBeGreaterThan(25 * 60_000);
    expect(span).toBeLessThan(35 * 60_000);
  });

  it('contains the benign neighbours of every shipped rule', () => {
    const count = (p: (e: (typeof traffic.events)[number]) => boolean) => traffic.events.filter(p).length;
    const neighbours = {
      confirmedDeletesByAgents: count((e) => e.principal.kind === 'agent' && /\.(delete|revoke)$/.test(e.action.type) && e.action.confirmation?.obtained === true),
      sensitiveReadsByAgents: count((e) => e.principal.kind === 'agent' && e.action.type === 'data.read' && ['confidential', 'restricted'].includes(e.resource.sensitivity ?? '')),
      bigPostsByAgents: count((e) => e.principal.kind === 'agent' && e.action.type === 'message.post' && Number(e.attributes?.audience_size) >= 100),
      bigWideningsOfInternalData: count((e) => e.resource.sensitivity === 'internal' && (e.permission_change?.audience_after ?? 0) >= 1_000),
      smallWideningsOfSensitiveData: count((e) => ['confidential', 'restricted'].includes(e.resource.sensitivity ?? '') && e.permission_change !== undefined),
      privilegedActionsByAgents: count((e) => e.principal.kind === 'agent' && e.action.type.startsWith('permission.')),
      denials: count((e) => e.outcome === 'denied'),
    };
    for (const [name, n] of Object.entries(neighbours)) expect.soft(n, name).toBeGreaterThan(20);
  });

  it('raises no detection and no error through the shipped rules', async () => {
    const { detections, errorCount } = await replay(traffic.events, traffic.history);
    expect(detections).toEqual([]);
    expect(errorCount).toBe(0);
  });
});
