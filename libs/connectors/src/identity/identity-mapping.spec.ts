import { describe, expect, it } from 'vitest';
import { identityMappingSchema, resolveIdentity } from './identity-mapping.js';

const principal = { tenant: 'acme', id: 'support-bot' };

describe('identity mapping', () => {
  it('fills the template with the principal (and tenant)', () => {
    expect(resolveIdentity(identityMappingSchema.parse({ template: 'agent_{principal}' }), principal)).toBe('agent_support-bot');
    expect(resolveIdentity(identityMappingSchema.parse({ template: '{tenant}_{principal}' }), principal)).toBe('acme_support-bot');
  });

  it('prefers the explicit map over the template', () => {
    const mapping = identityMappingSchema.parse({ map: { 'support-bot': 'svc_support' }, template: 'agent_{principal}' });
    expect(resolveIdentity(mapping, principal)).toBe('svc_support');
    expect(resolveIdentity(mapping, { tenant: 'acme', id: 'other' })).toBe('agent_other');
  });

  it('refuses a principal that is neither mapped nor covered by a template', () => {
    const mapping = identityMappingSchema.parse({ map: { 'support-bot': 'svc_support' } });
    expect(() => resolveIdentity(mapping, { tenant: 'acme', id: 'other' })).toThrow(
      expect.objectContaining({ code: 'CONNECTOR.UNMAPPED_PRINCIPAL' }),
    );
  });

  it('does not treat inherited object keys as mapped principals', () => {
    const mapping = identityMappingSchema.parse({ map: { a: 'b' } });
    expect(() => resolveIdentity(mapping, { tenant: 'acme', id: 'constructor' })).toThrow(
      expect.objectContaining({ code: 'CONNECTOR.UNMAPPED_PRINCIPAL' }),
    );
  });

  it('rejects configs that map nothing or use unknown placeholders', () => {
    const problems = (input: unknown) => {
      const r = identityMappingSchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    expect(problems({})).toEqual(['give an explicit map, a template, or both']);
    expect(problems({ template: 'agent' })).toEqual(['a template must contain {principal}']);
    expect(problems({ template: 'agent_{principal}_{region}' })).toEqual(['a template may only use {principal} and {tenant}']);
  });
});
