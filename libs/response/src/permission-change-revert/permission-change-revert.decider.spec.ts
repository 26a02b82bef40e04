import { describe, it } from 'vitest';
import { DeciderSpecification } from '../testing/decider-specification.js';
import { meta, recorded } from '../testing/containment.fixtures.js';
import type { PermissionChangeRevertCommand, PermissionChangeRevertCommandOf, StoredActionFacts } from './permission-change-revert.commands.js';
import { MAX_REVERT_ATTEMPTS, permissionChangeRevertDecider } from './permission-change-revert.decider.js';
import { type PermissionChangeRevertEventOf, permissionChangeRevertEventSchema } from './permission-change-revert.events.js';

const spec = DeciderSpecification.for(permissionChangeRevertDecider, {
  validateEvent: (e) => permissionChangeRevertEventSchema.parse(e),
});

const ID = 'pcr_1';
const PG = 'crm-db';
const widening: StoredActionFacts = {
  principal: 'agent-forum-helper',
  action_type: 'permission.grant',
  outcome: 'success',
  resource: { type: 'postgres.table', id: 'test.crm.customers' },
  permission_change: { grantee: 'group:all_staff', privileges: ['SELECT'], audience_before: 12, audience_after: 4000, scope_before: 'team', scope_after: 'org' },
};

function revert(over: Partial<PermissionChangeRevertCommandOf<'RevertPermissionChange'>['data']> = {}): PermissionChangeRevertCommand {
  return {
    type: 'RevertPermissionChange',
    data: { revert_id: ID, tenant: 'acme', event_id: 'evt-1', reason: 'SEV-1: widened access', requested_by: 'user:alice', stored: widening, owners: [PG], ...over },
    metadata: meta,
  };
}
const recordRevert = (connector = PG): PermissionChangeRevertCommand => ({
  type: 'RecordPermissionChangeRevert',
  data: { revert_id: ID, connector, before: [grantEntry], after: [], changed: [grantEntry] },
  metadata: meta,
});
const recordFailure = (retriable: boolean): PermissionChangeRevertCommand => ({
  type: 'RecordPermissionChangeRevertFailure',
  data: { revert_id: ID, connector: PG, error: { code: 'CONNECTOR.UNAVAILABLE', message: 'connection refused' }, retriable },
  metadata: meta,
});

const grantEntry = { kind: 'pg.relation', schema: 'crm', relation: 'customers', relation_kind: 'table', privilege: 'SELECT', grantable: false, grantor: 'postgres' };

const requested = (over: Partial<PermissionChangeRevertEventOf<'PermissionChangeRevertRequested'>['data']> = {}): PermissionChangeRevertEventOf<'PermissionChangeRevertRequested'> => ({
  type: 'PermissionChangeRevertRequested',
  data: {
    revert_id: ID,
    tenant: 'acme',
    event_id: 'evt-1',
    principal: 'agent-forum-helper',
    change: {
      action: 'permission.grant',
      resource: { type: 'postgres.table', id: 'test.crm.customers' },
      grantee: 'group:all_staff',
      privileges: ['SELECT'],
      audience_before: 12,
      audience_after: 4000,
      scope_before: 'team',
      scope_after: 'org',
    },
    inverse: 'revoke',
    connector: PG,
    reason: 'SEV-1: widened access',
    requested_by: 'user:alice',
    ...over,
  },
  metadata: recorded,
});
const reverted: PermissionChangeRevertEventOf<'PermissionChangeReverted'> = {
  type: 'PermissionChangeReverted',
  data: { revert_id: ID, connector: PG, before: [grantEntry], after: [], changed: [grantEntry] },
  metadata: recorded,
};
const failed = (attempt: number, retriable: boolean): PermissionChangeRevertEventOf<'PermissionChangeRevertFailed'> => ({
  type: 'PermissionChangeRevertFailed',
  data: {
    revert_id: ID,
    connector: PG,
    error: { code: 'CONNECTOR.UNAVAILABLE', message: 'connection refused' },
    retriable,
    attempt,
    will_retry: retriable && attempt < MAX_REVERT_ATTEMPTS,
  },
  metadata: recorded,
});

describe('RevertPermissionChange', () => {
  it('records the intent: the change, its inverse, the owning connector, who asked and why', () => {
    spec.given([]).when(revert()).then([requested()]);
  });

  it('inverts a revoke into a grant', () => {
    const narrowing = { ...widening, action_type: 'permission.revoke' };
    const expected = requested({ inverse: 'grant', change: { ...requested().data.change, action: 'permission.revoke' } });
    spec.given([]).when(revert({ stored: narrowing })).then([expected]);
  });

  it('is once per event: asking again while under way or done changes nothing', () => {
    spec.given([requested()]).when(revert({ requested_by: 'user:bob' })).thenNothingHappened();
    spec.given([requested(), reverted]).when(revert()).thenNothingHappened();
  });

  it('asking again after it failed for good retries it, attributed to who asked', () => {
    spec
      .given([requested(), failed(1, false)])
      .when(revert({ reason: 'the grantee dropped its dependants', requested_by: 'user:bob' }))
      .then([
        {
          type: 'PermissionChangeRevertRetryRequested',
          data: { revert_id: ID, reason: 'the grantee dropped its dependants', requested_by: 'user:bob' },
          metadata: recorded,
        },
      ]);
  });

  it('refuses an event that is not stored', () => {
    spec.given([]).when(revert({ stored: null })).thenThrows('PERMISSION_CHANGE.EVENT_NOT_FOUND');
  });

  it('refuses what has no inverse: other actions, failed or denied changes, changes without privileges', () => {
    spec.given([]).when(revert({ stored: { ...widening, action_type: 'data.read' } })).thenThrows('PERMISSION_CHANGE.NOT_REVERTIBLE');
    spec.given([]).when(revert({ stored: { ...widening, outcome: 'denied' } })).thenThrows('PERMISSION_CHANGE.NOT_REVERTIBLE');
    const { permission_change: _none, ...bare } = widening;
    spec.given([]).when(revert({ stored: bare })).thenThrows('PERMISSION_CHANGE.NOT_REVERTIBLE');
    const empty = { ...widening, permission_change: { ...widening.permission_change!, privileges: [] } };
    spec.given([]).when(revert({ stored: empty })).thenThrows('PERMISSION_CHANGE.NOT_REVERTIBLE');
  });

  it('needs exactly one connector that owns the resource', () => {
    spec.given([]).when(revert({ owners: [] })).thenThrows('PERMISSION_CHANGE.NO_OWNING_CONNECTOR');
    spec.given([]).when(revert({ owners: [PG, 'warehouse-db'] })).thenThrows('PERMISSION_CHANGE.AMBIGUOUS_OWNER');
    spec.given([]).when(revert({ owners: [PG, PG] })).then([requested()]);
  });
});

describe('outcomes', () => {
  it('records what the target reports: before, after and what changed', () => {
    spec.given([requested()]).when(recordRevert()).then([reverted]);
  });

  it('takes a repeated outcome as a repeat', () => {
    spec.given([requested(), reverted]).when(recordRevert()).thenNothingHappened();
  });

  it('refuses an outcome from another connector, or for a revert never requested', () => {
    spec.given([requested()]).when(recordRevert('warehouse-db')).thenThrows('PERMISSION_CHANGE.UNEXPECTED_OUTCOME');
    spec.given([]).when(recordRevert()).thenThrows('PERMISSION_CHANGE.REVERT_NOT_FOUND');
  });

  it(`retries a retriable failure up to ${MAX_REVERT_ATTEMPTS} attempts, then waits for a person`, () => {
    spec.given([requested()]).when(recordFailure(true)).then([failed(1, true)]);
    spec.given([requested(), failed(1, true), failed(2, true)]).when(recordFailure(true)).then([failed(3, true)]);
    spec.given([requested(), failed(1, true), failed(2, true), failed(3, true)]).when(recordFailure(true)).thenThrows('PERMISSION_CHANGE.UNEXPECTED_OUTCOME');
  });

  it('gives up at once on a refusal', () => {
    spec.given([requested()]).when(recordFailure(false)).then([failed(1, false)]);
    spec.given([requested(), failed(1, false)]).when(recordRevert()).thenThrows('PERMISSION_CHANGE.UNEXPECTED_OUTCOME');
  });

  it('counts attempts afresh after a retry request', () => {
    const retried: PermissionChangeRevertEventOf<'PermissionChangeRevertRetryRequested'> = {
      type: 'PermissionChangeRevertRetryRequested',
      data: { revert_id: ID, reason: 'again', requested_by: 'user:bob' },
      metadata: recorded,
    };
    spec.given([requested(), failed(1, false), retried]).when(recordFailure(true)).then([failed(1, true)]);
  });
});
