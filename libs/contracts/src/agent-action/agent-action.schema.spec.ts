import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentActionJsonSchema } from './agent-action.json-schema.js';
import { ATTRIBUTES_MAX_BYTES, EVENT_MAX_BYTES } from './agent-action.schema.js';
import { checkAgentAction } from './agent-action.validation.js';

const contractDir = join(import.meta.dirname, '..', '..');
const load = <T>(name: string): T => JSON.parse(readFileSync(join(contractDir, 'fixtures', 'v1', name), 'utf8')) as T;

const valid = load<{ name: string; event: unknown }[]>('valid.json');
const invalid = load<{ name: string; event: unknown; paths: string[] }[]>('invalid.json');

describe('agent action contract v1', () => {
  it.each(valid.map((f) => [f.name, f.event] as const))('accepts %s', (_name, event) => {
    const result = checkAgentAction(event);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it.each(invalid.map((f) => [f.name, f.event, f.paths] as const))('rejects %s, naming the failing path', (_name, event, paths) => {
    const result = checkAgentAction(event);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path).sort()).toEqual([...paths].sort());
    for (const error of result.errors) expect(error.message.length).toBeGreaterThan(0);
  });

  it('returns valid events with the members of every fixed object in sorted order (what the stored canonical form needs)', () => {
    const sortedAtEveryLevel = (v: unknown): boolean =>
      typeof v !== 'object' || v === null || Array.isArray(v)
        ? true
        : Object.keys(v).every((k, i, keys) => i === 0 || keys[i - 1] < k) && Object.values(v).every(sortedAtEveryLevel);
    for (const fixture of valid) {
      const result = checkAgentAction(fixture.event);
      if (!result.ok) throw new Error(`fixture ${fixture.name} should be valid`);
      const { attributes: _free, ...fixed } = result.event;
      expect(sortedAtEveryLevel(fixed), fixture.name).toBe(true);
      expect(result.event).toEqual(fixture.event);
    }
  });

  it('keeps the event_id of a rejected event so the rejection can be traced', () => {
    const result = checkAgentAction({ event_id: 'trace-me', schema_version: '1' });
    expect(result).toMatchObject({ ok: false, event_id: 'trace-me' });
  });

  it('rejects attributes larger than 32 KiB at the attributes path', () => {
    const event = { ...valid[1].event as object, attributes: { blob: 'x'.repeat(ATTRIBUTES_MAX_BYTES) } };
    const result = checkAgentAction(event);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.path)).toEqual(['attributes']);
  });

  it('rejects an event larger than 64 KiB as a whole, before looking inside', () => {
    const event = { ...valid[1].event as object, resource: { type: 'doc', id: 'x', name: 'n'.repeat(EVENT_MAX_BYTES) } };
    const result = checkAgentAction(event);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0].path).toBe('');
      expect(result.errors[0].message).toMatch(/at most 65536/);
    }
  });

  it('publishes a JSON Schema in the repo that matches the zod contract', () => {
    const published = JSON.parse(readFileSync(join(contractDir, 'agent-action.v1.schema.json'), 'utf8'));
    expect(published).toEqual(agentActionJsonSchema());
    expect(published.required).toEqual(
      expect.arrayContaining(['event_id', 'schema_version', 'occurred_at', 'tenant', 'principal', 'action', 'resource', 'outcome', 'source']),
    );
  });
});
