import { describe, expect, it } from 'vitest';
import { type AutoContainCandidate, AutoContainmentPolicy } from './auto-containment.policy.js';

const candidate = (principal: string, over: Partial<AutoContainCandidate> = {}): AutoContainCandidate => ({
  tenant: 'acme',
  principal,
  ruleId: 'mass-deletion-burst',
  groupKey: `mass-deletion-burst/acme/${principal}`,
  autoContain: true,
  ...over,
});

describe('automatic containment policy', () => {
  it('contains when the rule says auto_contain and the mode is on', () => {
    expect(new AutoContainmentPolicy('on', 5, 60_000).decide(candidate('a'), 0).action).toBe('contain');
  });

  it('only reports what it would do in dry-run mode, and nothing when off', () => {
    expect(new AutoContainmentPolicy('dry-run', 5, 60_000).decide(candidate('a'), 0).action).toBe('would-contain');
    expect(new AutoContainmentPolicy('off', 5, 60_000).decide(candidate('a'), 0)).toMatchObject({ action: 'skip', reason: 'mode-off' });
  });

  it('never acts on a rule that is not automatic', () => {
    expect(new AutoContainmentPolicy('on', 5, 60_000).decide(candidate('a', { autoContain: false }), 0)).toMatchObject({ reason: 'rule-not-automatic' });
  });

  it('acts once per rule and principal, however many detections follow', () => {
    const policy = new AutoContainmentPolicy('on', 5, 60_000);
    expect([0, 1, 2].map((t) => policy.decide(candidate('a'), t).action)).toEqual(['contain', 'skip', 'skip']);
  });

  it('caps automatic containments per tenant per window, so a noisy rule cannot lock out a fleet', () => {
    const policy = new AutoContainmentPolicy('on', 3, 60_000);
    const actions = ['a', 'b', 'c', 'd', 'e'].map((p, i) => policy.decide(candidate(p), i * 1000).action);
    expect(actions).toEqual(['contain', 'contain', 'contain', 'skip', 'skip']);
    expect(policy.decide(candidate('f', { tenant: 'globex' }), 5000).action).toBe('contain');
    expect(policy.decide(candidate('g'), 61_000).action).toBe('contain');
  });
});
