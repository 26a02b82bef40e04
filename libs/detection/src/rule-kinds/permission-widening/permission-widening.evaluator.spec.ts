import { describe, expect, it } from 'vitest';
import type { Sensitivity } from '@warden/contracts';
import { detect, engineWith, rule } from '../../testing/engine.fixture.js';
import { event } from '../../testing/event.fixture.js';

const widening = rule({
  id: 'widening',
  kind: 'permission_widening',
  params: {
    audience: { min_ratio: 10, min_after: 100 },
    scope_levels: [['private'], ['team', 'group'], ['org'], ['public']],
    sensitivity_weights: { public: 0, internal: 1, confidential: 2, restricted: 3, unlabelled: 1 },
    points: { audience: 2, per_scope_step: 1 },
    min_score: 4,
  },
});

const change = (id: string, sensitivity: Sensitivity | undefined, before: number, after: number, scopes?: [string, string]) =>
  event({
    id,
    principal: { id: 'eng-1', kind: 'human' },
    action: { type: 'permission.grant' },
    resource: { type: 'dataset', id: 'users', ...(sensitivity ? { sensitivity } : {}) },
    permission_change: {
      grantee: 'group:all-employees',
      privileges: ['read'],
      audience_before: before,
      audience_after: after,
      ...(scopes ? { scope_before: scopes[0], scope_after: scopes[1] } : {}),
    },
  });

const scoreOf = async (e: ReturnType<typeof change>) => (await detect(engineWith([widening]), [e])).map((d) => d.summary);

describe('permission-widening rules', () => {
  it('fire on a large audience jump with a scope escalation on restricted data, saying why', async () => {
    expect(await scoreOf(change('w1', 'restricted', 12, 40_000, ['team', 'org']))).toEqual([
      'eng-1 widened restricted dataset users to group:all-employees: audience 12 → 40000 (×3333), scope team → org; score 9 ≥ 4',
    ]);
  });

  it('stay quiet on the same widening of a public resource (weight 0)', async () => {
    expect(await scoreOf(change('w1', 'public', 12, 40_000, ['team', 'org']))).toEqual([]);
  });

  it('weigh by sensitivity: one scope step on restricted scores 3 and stays quiet, two on confidential score 4 and fire', async () => {
    expect(await scoreOf(change('w1', 'restricted', 5, 5, ['team', 'org']))).toEqual([]);
    expect(await scoreOf(change('w2', 'confidential', 5, 5, ['team', 'public']))).toEqual([
      'eng-1 widened confidential dataset users to group:all-employees: scope team → public; score 4 ≥ 4',
    ]);
  });

  it('need both the ratio and the absolute size for an audience jump', async () => {
    // ×10 but only to 50 people; then to 1 050 but only ×1.05.
    expect(await scoreOf(change('w1', 'restricted', 5, 50))).toEqual([]);
    expect(await scoreOf(change('w2', 'restricted', 1_000, 1_050))).toEqual([]);
    expect(await scoreOf(change('w3', 'confidential', 0, 100))).toEqual([
      'eng-1 widened confidential dataset users to group:all-employees: audience 0 → 100 (×100); score 4 ≥ 4',
    ]);
  });

  it('treat synonyms on one level as no step, narrowing as no step, and unknown scopes as no signal', async () => {
    expect(await scoreOf(change('w1', 'restricted', 5, 5, ['team', 'group']))).toEqual([]);
    expect(await scoreOf(change('w2', 'restricted', 5, 5, ['public', 'private']))).toEqual([]);
    expect(await scoreOf(change('w3', 'restricted', 5, 5, ['team', 'galaxy']))).toEqual([]);
  });

  it('use the unlabelled weight for a resource without sensitivity', async () => {
    expect(await scoreOf(change('w1', undefined, 12, 40_000, ['private', 'public']))).toEqual([
      'eng-1 widened unlabelled dataset users to group:all-employees: audience 12 → 40000 (×3333), scope private → public; score 5 ≥ 4',
    ]);
  });

  it('ignore events without a permission change', async () => {
    expect(await detect(engineWith([widening]), [event({ id: 'r1', resource: { sensitivity: 'restricted' } })])).toEqual([]);
  });

  it('reject a scope listed on two levels, naming where', () => {
    expect(() =>
      rule({
        kind: 'permission_widening',
        params: {
          audience: { min_ratio: 10, min_after: 100 },
          scope_levels: [['team'], ['org', 'team']],
          sensitivity_weights: { public: 0, internal: 1, confidential: 2, restricted: 3, unlabelled: 1 },
          min_score: 4,
        },
      }),
    ).toThrow('params.scope_levels.1.1: scope "team" is already on level 0');
  });
});
