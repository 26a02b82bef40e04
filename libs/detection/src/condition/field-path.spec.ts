import { describe, expect, it } from 'vitest';
import { event } from '../testing/event.fixture.js';
import { contractPathProblem, readField } from './field-path.js';

describe('reading a dotted field path from an event', () => {
  const e = event({
    id: 'e1',
    permission_change: { grantee: 'g', privileges: ['read', 'write'], audience_before: 12, audience_after: 40_000 },
    attributes: { ticket: { id: 'SEV-1' } },
  });

  it('reads nested fields, list elements and free-form attributes', () => {
    expect(readField(e, 'permission_change.audience_after')).toBe(40_000);
    expect(readField(e, 'permission_change.privileges.1')).toBe('write');
    expect(readField(e, 'attributes.ticket.id')).toBe('SEV-1');
  });

  it('reads absent fields as undefined, including through a missing parent', () => {
    expect(readField(e, 'agent.id')).toBeUndefined();
    expect(readField(e, 'action.confirmation.required')).toBeUndefined();
  });

  it('does not reach inherited properties', () => {
    expect(readField(e, 'attributes.constructor')).toBeUndefined();
    expect(readField(e, 'resource.__proto__')).toBeUndefined();
  });
});

describe('checking a field path against contract v1', () => {
  it('accepts paths that exist, list indexes and anything under attributes', () => {
    expect(['action.type', 'action.confirmation.obtained', 'permission_change.privileges.0', 'attributes.audience_size.x', 'principal'].map(contractPathProblem)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('names the first segment that does not exist', () => {
    expect(contractPathProblem('acton.type')).toBe('unknown field "acton" (not in contract v1)');
    expect(contractPathProblem('resource.sensitivty')).toBe('unknown field "resource.sensitivty" (not in contract v1)');
    expect(contractPathProblem('action.type.x')).toBe('"action.type" is a value, so "action.type.x" does not exist in contract v1');
    expect(contractPathProblem('permission_change.privileges.first')).toBe('"permission_change.privileges" is a list; expected an index, got "first"');
  });
});
