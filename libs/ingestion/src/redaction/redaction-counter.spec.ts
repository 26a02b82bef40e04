import { describe, expect, it } from 'vitest';
import { RedactionCounter } from './redaction-counter.js';

describe('counting redactions', () => {
  it('counts each redaction under its kind, and the events that had any', () => {
    const counter = new RedactionCounter();
    counter.record([
      { path: 'attributes.env', kind: 'openai-key' },
      { path: 'attributes.log', kind: 'aws-access-key' },
      { path: 'attributes.log', kind: 'openai-key' },
    ]);
    counter.record([]);
    counter.record([{ path: 'action.name', kind: 'jwt' }]);
    expect(counter.snapshot()).toEqual({
      total: 4,
      events: 2,
      by_kind: { 'aws-access-key': 1, jwt: 1, 'openai-key': 2 },
    });
    expect(Object.keys(counter.snapshot().by_kind)).toEqual(['aws-access-key', 'jwt', 'openai-key']);
  });

  it('starts at zero', () => {
    expect(new RedactionCounter().snapshot()).toEqual({ total: 0, events: 0, by_kind: {} });
  });
});
