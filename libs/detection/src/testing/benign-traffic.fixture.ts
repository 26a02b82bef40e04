import type { AgentAction, Sensitivity } from '@warden/contracts';
import { rng, type Rng } from './seeded-random.fixture.js';

/**
 * Test support only. Busy, ordinary traffic for scenario tests: several
 * tenants, agents, humans and services reading, posting, updating, deleting
 * and granting — including the benign neighbours of every shipped rule
 * (confirmed deletes, big announcements by bots that read nothing sensitive,
 * small widenings, habitual privileged actions, the odd denial) — and none of
 * the patterns the rules look for.
 */
export interface BenignTraffic {
  events: AgentAction[];
  /** Earlier events (days before) to load into the history port: the agents' privileged habits. */
  history: AgentAction[];
}

type Role = 'worker-agent' | 'announcer-agent' | 'provisioner-agent' | 'human' | 'service';
interface Principal {
  id: string;
  kind: 'agent' | 'human' | 'service';
  role: Role;
}

const DAY_MS = 86_400_000;

function population(tenant: string): Principal[] {
  const of = (n: number, role: Role, kind: Principal['kind'], prefix: string) =>
    Array.from({ length: n }, (_, i) => ({ id: `${tenant}-${prefix}-${i + 1}`, kind, role }));
  return [
    ...of(10, 'worker-agent', 'agent', 'agent'),
    ...of(2, 'announcer-agent', 'agent', 'announcer'),
    ...of(2, 'provisioner-agent', 'agent', 'provisioner'),
    ...of(20, 'human', 'human', 'user'),
    ...of(3, 'service', 'service', 'svc'),
  ];
}

export function benignTraffic(options: { seed: number; count: number; startMs: number; tenants?: readonly string[]; meanGapMs?: number }): BenignTraffic {
  const r = rng(options.seed);
  const tenants = options.tenants ?? ['acme', 'globex'];
  const principals = tenants.flatMap((t) => population(t).map((p) => ({ tenant: t, ...p })));
  const meanGap = options.meanGapMs ?? 300;
  const events: AgentAction[] = [];
  let t = options.startMs;
  for (let i = 0; i < options.count; i++) {
    t += Math.max(1, Math.round(r.next() * 2 * meanGap));
    const p = r.pick(principals);
    events.push(actionOf(r, p, p.tenant, `benign-${options.seed}-${i}`, new Date(t).toISOString()));
  }
  const history = principals
    .filter((p) => p.role === 'provisioner-agent')
    .flatMap((p, i) => [
      habit(p, p.tenant, `habit-${i}-grant`, new Date(options.startMs - 5 * DAY_MS).toISOString(), 'permission.grant'),
      habit(p, p.tenant, `habit-${i}-revoke`, new Date(options.startMs - 6 * DAY_MS).toISOString(), 'permission.revoke'),
    ]);
  return { events, history };
}

const base = (id: string, occurredAt: string, tenant: string, p: Principal): Pick<AgentAction, 'event_id' | 'schema_version' | 'occurred_at' | 'tenant' | 'principal' | 'source'> => ({
  event_id: id,
  schema_version: '1',
  occurred_at: occurredAt,
  tenant,
  principal: { id: p.id, kind: p.kind },
  source: { system: p.kind === 'human' ? 'web-console' : 'agent-gateway' },
});

function habit(p: Principal, tenant: string, id: string, occurredAt: string, type: string): AgentAction {
  return { ...base(id, occurredAt, tenant, p), action: { type }, resource: { type: 'drive.folder', id: 'onboarding' }, outcome: 'success' };
}

function actionOf(r: Rng, p: Principal, tenant: string, id: string, occurredAt: string): AgentAction {
  const b = base(id, occurredAt, tenant, p);
  // A few denials everywhere: enforcement saying no now and then is normal.
  const outcome = r.chance(0.02) ? 'denied' : r.chance(0.02) ? 'failure' : 'success';
  const doc = (sensitivities: readonly Sensitivity[]) => ({ type: 'document', id: `doc-${r.int(1, 400)}`, sensitivity: r.pick(sensitivities) });
  const confirmed = { required: true, obtained: true };
  const x = r.next();
  switch (p.role) {
    case 'worker-agent':
      if (x < 0.45) return { ...b, action: { type: 'data.read' }, resource: doc(['public', 'internal', 'confidential', 'restricted']), outcome };
      if (x < 0.6) return { ...b, action: { type: 'message.post', confirmation: confirmed }, resource: { type: 'chat.channel', id: `team-${r.int(1, 30)}`, sensitivity: 'internal' }, attributes: { audience_size: r.int(2, 60) }, outcome };
      if (x < 0.75) return { ...b, action: { type: 'resource.update' }, resource: doc(['internal', 'confidential']), outcome };
      if (x < 0.8) return { ...b, action: { type: 'resource.delete', confirmation: confirmed }, resource: { type: 'email.message', id: `msg-${r.int(1, 10_000)}` }, outcome };
      return { ...b, action: { type: 'tool.call', name: r.pick(['search', 'calendar', 'summarise']) }, resource: { type: 'tool', id: r.pick(['search', 'calendar', 'llm']) }, outcome };
    case 'announcer-agent':
      // Large audiences, but these agents never read anything sensitive.
      if (x < 0.5) return { ...b, action: { type: 'data.read' }, resource: doc(['public', 'internal']), outcome };
      return { ...b, action: { type: 'message.post', confirmation: confirmed }, resource: { type: 'chat.channel', id: 'announcements', sensitivity: 'internal' }, attributes: { audience_size: r.int(500, 5_000) }, outcome };
    case 'provisioner-agent':
      // Privileged, but habitual: the history holds these pairs from last week.
      if (x < 0.5) {
        return {
          ...b,
          action: { type: 'permission.grant', confirmation: confirmed },
          resource: { type: 'drive.folder', id: 'onboarding', sensitivity: 'internal' },
          permission_change: { grantee: `user:new-hire-${r.int(1, 50)}`, privileges: ['read'], audience_before: 40, audience_after: 41, scope_before: 'team', scope_after: 'team' },
          outcome,
        };
      }
      if (x < 0.7) return { ...b, action: { type: 'permission.revoke', confirmation: confirmed }, resource: { type: 'drive.folder', id: 'onboarding' }, outcome };
      return { ...b, action: { type: 'data.read' }, resource: doc(['internal']), outcome };
    case 'human':
      if (x < 0.4) return { ...b, action: { type: 'data.read' }, resource: doc(['public', 'internal', 'confidential', 'restricted']), outcome };
      if (x < 0.55) return { ...b, action: { type: 'message.post' }, resource: { type: 'chat.channel', id: `team-${r.int(1, 30)}`, sensitivity: 'internal' }, attributes: { audience_size: r.int(2, 300) }, outcome };
      if (x < 0.65) return { ...b, action: { type: 'resource.delete' }, resource: doc(['internal']), outcome };
      if (x < 0.75) {
        // Widenings on internal data (weight 0) and small ones on sensitive data.
        const sensitive = r.chance(0.5);
        return {
          ...b,
          action: { type: 'permission.grant' },
          resource: sensitive ? doc(['confidential', 'restricted']) : doc(['internal']),
          permission_change: sensitive
            ? { grantee: `user:${r.int(1, 99)}`, privileges: ['read'], audience_before: 4, audience_after: 5, scope_before: 'team', scope_after: 'team' }
            : { grantee: 'group:everyone', privileges: ['read'], audience_before: 12, audience_after: 4_000, scope_before: 'team', scope_after: 'org' },
          outcome,
        };
      }
      return { ...b, action: { type: 'resource.update' }, resource: doc(['internal', 'confidential']), outcome };
    case 'service':
      return { ...b, action: { type: 'tool.call', name: 'sync' }, resource: { type: 'api', id: r.pick(['crm', 'billing', 'hr']) }, outcome };
  }
}
