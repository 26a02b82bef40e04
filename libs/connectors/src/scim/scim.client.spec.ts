import { describe, expect, it } from 'vitest';
import { eqFilter, memberPath, patchOp } from './scim.client.js';
import { scimConnectorConfigSchema } from './scim.config.js';
import { scimAccessItemSchema } from './scim.items.js';

describe('SCIM requests', () => {
  it('quote filter values as JSON strings, so quotes and backslashes in names cannot break out', () => {
    expect(eqFilter('userName', 'agent-7@example.com')).toBe('userName eq "agent-7@example.com"');
    expect(eqFilter('userName', 'a" or userName pr or "')).toBe('userName eq "a\\" or userName pr or \\""');
    expect(eqFilter('userName', 'back\\slash')).toBe('userName eq "back\\\\slash"');
  });

  it('select one member of a group by value path', () => {
    expect(memberPath('2819c223-7f76')).toBe('members[value eq "2819c223-7f76"]');
  });

  it('wrap operations in an RFC 7644 PatchOp message', () => {
    expect(patchOp({ op: 'replace', path: 'active', value: false })).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
  });
});

describe('SCIM items', () => {
  it('are the right to sign in and direct memberships by group id', () => {
    expect(scimAccessItemSchema.parse({ kind: 'scim.active' })).toEqual({ kind: 'scim.active' });
    expect(scimAccessItemSchema.parse({ kind: 'scim.group', group_id: 'g-1' })).toEqual({ kind: 'scim.group', group_id: 'g-1' });
    expect(scimAccessItemSchema.safeParse({ kind: 'scim.active', active: true }).success).toBe(false);
    expect(scimAccessItemSchema.safeParse({ kind: 'scim.group', group_id: '' }).success).toBe(false);
  });
});

describe('scimConnectorConfigSchema', () => {
  const base = { kind: 'scim', name: 'scim-main', bearer_token: 't0ken', identity: { template: '{principal}@acme.example' } };

  it('drops trailing slashes from the base URL and fills bounded defaults', () => {
    const config = scimConnectorConfigSchema.parse({ ...base, base_url: 'https://idp.acme.example/scim/v2/' });
    expect(config).toMatchObject({ base_url: 'https://idp.acme.example/scim/v2', request_timeout_ms: 10_000, page_size: 100 });
    expect(config.retry).toEqual({ max_attempts: 3, initial_delay_ms: 200, max_delay_ms: 5_000, timeout_ms: 30_000 });
  });

  it('rejects a base URL that is not http(s), an empty token, and pages beyond 1000', () => {
    const paths = (input: Record<string, unknown>) => {
      const r = scimConnectorConfigSchema.safeParse({ ...base, base_url: 'https://idp.acme.example/scim/v2', ...input });
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    expect(paths({ base_url: 'ldap://idp.acme.example' })).toEqual(['base_url']);
    expect(paths({ bearer_token: '' })).toEqual(['bearer_token']);
    expect(paths({ page_size: 5_000 })).toEqual(['page_size']);
    expect(paths({})).toEqual([]);
  });
});
