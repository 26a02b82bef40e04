import type { AccessItem } from '../containment/access-item.js';
import type { StepError } from '../containment/containment.events.js';
import type { PermissionChangeRevertEvent, RecordedChange } from './permission-change-revert.events.js';

/** requested → reverted, or → failed (for good) and back to requested when asked again. */
export type RevertStatus = 'requested' | 'reverted' | 'failed';

export interface RevertRequest {
  readonly revertId: string;
  readonly tenant: string;
  readonly eventId: string;
  readonly principal: string;
  readonly change: RecordedChange;
  readonly inverse: 'revoke' | 'grant';
  readonly connector: string;
  readonly reason: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
}

export type RevertState =
  | { readonly status: 'none' }
  | {
      readonly status: RevertStatus;
      readonly request: RevertRequest;
      /** Failed attempts since the request (or the last retry request). */
      readonly attempts: number;
      readonly lastError: StepError | null;
      readonly outcome: { readonly before: readonly AccessItem[]; readonly after: readonly AccessItem[]; readonly changed: readonly AccessItem[]; readonly at: string } | null;
    };

export type ExistingRevert = Exclude<RevertState, { status: 'none' }>;

export function initialRevertState(): RevertState {
  return { status: 'none' };
}

/** Applies one recorded event. Total and pure: an event that does not fit leaves the state as it is (refusing is decide's job). */
export function evolveRevert(state: RevertState, event: PermissionChangeRevertEvent): RevertState {
  if (event.type === 'PermissionChangeRevertRequested') {
    if (state.status !== 'none') return state;
    const d = event.data;
    return {
      status: 'requested',
      request: {
        revertId: d.revert_id,
        tenant: d.tenant,
        eventId: d.event_id,
        principal: d.principal,
        change: d.change,
        inverse: d.inverse,
        connector: d.connector,
        reason: d.reason,
        requestedBy: d.requested_by,
        requestedAt: event.metadata.recordedAt,
      },
      attempts: 0,
      lastError: null,
      outcome: null,
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'PermissionChangeReverted': {
      const { before, after, changed } = event.data;
      return { ...state, status: 'reverted', lastError: null, outcome: { before, after, changed, at: event.metadata.recordedAt } };
    }
    case 'PermissionChangeRevertFailed':
      return { ...state, status: event.data.will_retry ? 'requested' : 'failed', attempts: event.data.attempt, lastError: event.data.error };
    case 'PermissionChangeRevertRetryRequested':
      return { ...state, status: 'requested', attempts: 0 };
    default: {
      const unexpected: never = event;
      return unexpected;
    }
  }
}
