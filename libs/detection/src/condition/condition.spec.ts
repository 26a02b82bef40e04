import { describe, expect, it } from 'vitest';
import { event } from '../testing/event.fixture.js';
import { compileCondition } from './condition.compiler.js';
import { conditionSchema, type Condition } from './condition.schema.js';

const e = event({
  id: 'e1',
  action: { type: 'permission.grant', confirmation: { required: true, obtained: false } },
  resource: { type: 'drive.folder', id: 'fld-42', sensitivity: 'restricted' },
  permission_change: { grantee: 'group:all', privileges: ['read', 'write'], audience_before: 12, audience_after: 40_000 },
  attributes: { audience_size: '2500' },
});

const matches = (c: Condition) => compileCondition(conditionSchema.parse(c))(e);

describe('field predicates', () => {
  it.each<[string, Condition, boolean]>([
    ['equals on a string', { field: 'action.type', equals: 'permission.grant' }, true],
    ['equals on a boolean', { field: 'action.confirmation.obtained', equals: false }, true],
    ['equals is strict: a number is not its string', { field: 'attributes.audience_size', equals: 2500 }, false],
    ['equals null matches neither absent nor present', { field: 'agent.id', equals: null }, false],
    ['in', { field: 'resource.sensitivity', in: ['confidential', 'restricted'] }, true],
    ['in, no member', { field: 'resource.sensitivity', in: ['public'] }, false],
    ['prefix', { field: 'action.type', prefix: 'permission.' }, true],
    ['prefix on a number never matches', { field: 'permission_change.audience_after', prefix: '4' }, false],
    ['regex', { field: 'action.type', regex: '\\.(grant|revoke)$' }, true],
    ['regex is not anchored unless written so', { field: 'action.type', regex: 'grant' }, true],
    ['exists: true on a present field', { field: 'permission_change', exists: true }, true],
    ['exists: true on an absent field', { field: 'agent', exists: true }, false],
    ['exists: false on an absent field', { field: 'agent', exists: false }, true],
    ['gte at the boundary', { field: 'permission_change.audience_after', gte: 40_000 }, true],
    ['gt at the boundary', { field: 'permission_change.audience_after', gt: 40_000 }, false],
    ['lt', { field: 'permission_change.audience_before', lt: 13 }, true],
    ['lte below', { field: 'permission_change.audience_before', lte: 11 }, false],
    ['numeric comparison on a string never matches', { field: 'attributes.audience_size', gte: 100 }, false],
    ['a list field matches when any element does', { field: 'permission_change.privileges', equals: 'write' }, true],
    ['a list field, no element matches', { field: 'permission_change.privileges', in: ['admin', 'owner'] }, false],
  ])('%s', (_name, condition, expected) => {
    expect(matches(condition)).toBe(expected);
  });
});

describe('combinations', () => {
  const grant: Condition = { field: 'action.type', equals: 'permission.grant' };
  const publicResource: Condition = { field: 'resource.sensitivity', equals: 'public' };

  it('all needs every part, any needs one, not inverts', () => {
    expect(matches({ all: [grant, publicResource] })).toBe(false);
    expect(matches({ any: [grant, publicResource] })).toBe(true);
    expect(matches({ all: [grant, { not: publicResource }] })).toBe(true);
    expect(matches({ not: { any: [grant, publicResource] } })).toBe(false);
  });
});

describe('condition validation', () => {
  const issues = (value: unknown) =>
    (conditionSchema.safeParse(value).error?.issues ?? []).map((i) => ({ path: i.path.join('.'), message: i.message }));

  it('names a misspelt operator at its own path', () => {
    expect(issues({ all: [{ field: 'action.type', equals: 'x' }, { field: 'outcome', equal: 'denied' }] })).toEqual([
      { path: 'all.1', message: 'Unrecognized key: "equal"' },
    ]);
  });

  it('names a field that is not in the contract', () => {
    expect(issues({ field: 'acton.type', equals: 'x' })).toEqual([{ path: 'field', message: 'unknown field "acton" (not in contract v1)' }]);
  });

  it('rejects a predicate with two operators, or none', () => {
    expect(issues({ field: 'permission_change.audience_after', gte: 1, lt: 5 })).toEqual([
      { path: '', message: 'field "permission_change.audience_after" has 2 operators (gte, lt); use one per predicate and combine with "all"' },
    ]);
    expect(issues({ field: 'outcome' })[0].message).toBe('field "outcome" needs one operator: equals, in, prefix, regex, exists, gt, gte, lt, lte');
  });

  it('rejects a combinator mixed with a predicate', () => {
    expect(issues({ not: { field: 'outcome', equals: 'denied' }, field: 'outcome', equals: 'success' })[0].message).toBe(
      'a condition is one of all, any, not, or a field predicate; found not, field, equals together (nest them under "all" instead)',
    );
  });

  it('rejects an invalid regular expression at its path', () => {
    expect(issues({ any: [{ field: 'action.type', regex: '(unclosed' }] })).toEqual([
      { path: 'any.0.regex', message: expect.stringMatching(/^invalid regular expression: /) },
    ]);
  });
});
