import type { Decider } from '../decider/decider.js';
import { eventMetadataFrom } from '../containment/containment.metadata.js';
import type { PermissionChangeRevertCommand, PermissionChangeRevertCommandOf } from './permission-change-revert.commands.js';
import {
  AmbiguousOwnerError,
  NoOwningConnectorError,
  NotRevertibleError,
  PermissionChangeEventNotFoundError,
  RevertNotFoundError,
  UnexpectedRevertOutcomeError,
} from './permission-change-revert.errors.js';
import { revertibleActionSchema, type PermissionChangeRevertEvent } from './permission-change-revert.events.js';
import { evolveRevert, initialRevertState, type ExistingRevert, type RevertState } from './permission-change-revert.state.js';

/** Failed attempts (each already including the connector's own short retries) before waiting for a person to ask again. */
export const MAX_REVERT_ATTEMPTS = 3;

/** Decides what a command means for the revert of one recorded change, as events. Pure: no clock, no I/O. */
export function decideRevert(command: PermissionChangeRevertCommand, state: RevertState): PermissionChangeRevertEvent[] {
  switch (command.type) {
    case 'RevertPermissionChange':
      return revertPermissionChange(command, state);
    case 'RecordPermissionChangeRevert':
      return recordRevert(command, existing(state, command.data.revert_id));
    case 'RecordPermissionChangeRevertFailure':
      return recordFailure(command, existing(state, command.data.revert_id));
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const permissionChangeRevertDecider: Decider<PermissionChangeRevertCommand, PermissionChangeRevertEvent, RevertState> = {
  decide: decideRevert,
  evolve: evolveRevert,
  initialState: initialRevertState,
};

function existing(state: RevertState, revertId: string): ExistingRevert {
  if (state.status === 'none') throw new RevertNotFoundError(revertId);
  return state;
}

function revertPermissionChange(command: PermissionChangeRevertCommandOf<'RevertPermissionChange'>, state: RevertState): PermissionChangeRevertEvent[] {
  const d = command.data;
  const meta = eventMetadataFrom(command.metadata);
  if (state.status !== 'none') {
    // Once per event: asking again while it is under way or done changes nothing;
    // after it failed for good, asking again is what retries it.
    if (state.status !== 'failed') return [];
    return [{ type: 'PermissionChangeRevertRetryRequested', data: { revert_id: d.revert_id, reason: d.reason, requested_by: d.requested_by }, metadata: meta }];
  }
  const stored = d.stored;
  if (stored === null) throw new PermissionChangeEventNotFoundError(d.event_id);
  const action = revertibleActionSchema.safeParse(stored.action_type);
  if (!action.success) throw new NotRevertibleError(d.event_id, `it is a ${stored.action_type}, not a permission.grant or permission.revoke`);
  if (stored.outcome !== 'success') throw new NotRevertibleError(d.event_id, `its outcome was ${stored.outcome}: it changed nothing`);
  const pc = stored.permission_change;
  if (pc === undefined) throw new NotRevertibleError(d.event_id, 'it records no permission_change');
  if (pc.privileges.length === 0) throw new NotRevertibleError(d.event_id, 'its permission_change names no privileges');
  const owners = [...new Set(d.owners)];
  if (owners.length === 0) throw new NoOwningConnectorError(stored.resource.type, stored.resource.id);
  if (owners.length > 1) throw new AmbiguousOwnerError(stored.resource.type, stored.resource.id, owners);
  return [
    {
      type: 'PermissionChangeRevertRequested',
      data: {
        revert_id: d.revert_id,
        tenant: d.tenant,
        event_id: d.event_id,
        principal: stored.principal,
        change: { action: action.data, resource: stored.resource, ...pc },
        inverse: action.data === 'permission.grant' ? 'revoke' : 'grant',
        connector: owners[0],
        reason: d.reason,
        requested_by: d.requested_by,
      },
      metadata: meta,
    },
  ];
}

function recordRevert(command: PermissionChangeRevertCommandOf<'RecordPermissionChangeRevert'>, state: ExistingRevert): PermissionChangeRevertEvent[] {
  const { connector, before, after, changed } = command.data;
  if (connector !== state.request.connector) throw new UnexpectedRevertOutcomeError(state.request.revertId, state.status, connector);
  if (state.status === 'reverted') return []; // a repeat of what is recorded
  if (state.status !== 'requested') throw new UnexpectedRevertOutcomeError(state.request.revertId, state.status, connector);
  return [
    {
      type: 'PermissionChangeReverted',
      data: { revert_id: state.request.revertId, connector, before, after, changed },
      metadata: eventMetadataFrom(command.metadata),
    },
  ];
}

function recordFailure(command: PermissionChangeRevertCommandOf<'RecordPermissionChangeRevertFailure'>, state: ExistingRevert): PermissionChangeRevertEvent[] {
  const { connector, error, retriable } = command.data;
  if (connector !== state.request.connector || state.status !== 'requested') {
    throw new UnexpectedRevertOutcomeError(state.request.revertId, state.status, connector);
  }
  const attempt = state.attempts + 1;
  return [
    {
      type: 'PermissionChangeRevertFailed',
      data: { revert_id: state.request.revertId, connector, error, retriable, attempt, will_retry: retriable && attempt < MAX_REVERT_ATTEMPTS },
      metadata: eventMetadataFrom(command.metadata),
    },
  ];
}
