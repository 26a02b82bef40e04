import { itemsUnion, type AccessItem } from './access-item.js';
import type { ContainmentEvent, ContainmentEventOf, StepError } from './containment.events.js';

export type ContainmentStatus = 'pending' | 'contained' | 'partial' | 'rolling_back' | 'rolled_back' | 'failed';

/**
 * Where one connector is. Containment: awaiting_snapshot → awaiting_revocation
 * → revoked (or *_failed when a step failed for good). Rollback:
 * awaiting_restore → restored (or restore_failed).
 */
export type ConnectorStage =
  | 'awaiting_snapshot'
  | 'snapshot_failed'
  | 'awaiting_revocation'
  | 'revocation_failed'
  | 'revoked'
  | 'awaiting_restore'
  | 'restore_failed'
  | 'restored';

export interface ConnectorProgress {
  readonly connector: string;
  readonly stage: ConnectorStage;
  /** What the principal held here; null until recorded, never replaced afterwards. */
  readonly snapshot: readonly AccessItem[] | null;
  /** Snapshot items revoked so far (a connector may report them in several goes). */
  readonly revoked: readonly AccessItem[];
  /** Snapshot items restored so far. */
  readonly restored: readonly AccessItem[];
  /** Failed attempts at the current step; reset when the step moves on or is retried by an operator. */
  readonly failedAttempts: number;
  readonly lastError: StepError | null;
}

export interface ContainmentRequest {
  readonly containmentId: string;
  readonly tenant: string;
  readonly principal: string;
  readonly reason: string;
  readonly incidentId: string | null;
  readonly requestedBy: string;
  readonly idempotencyKey: string;
  readonly requestedAt: string;
}

export interface RollbackRequest {
  readonly reason: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
}

export type ContainmentState =
  | { readonly status: 'none' }
  | {
      readonly status: ContainmentStatus;
      readonly request: ContainmentRequest;
      /** In the order the connectors were requested. */
      readonly connectors: readonly ConnectorProgress[];
      readonly rollback: RollbackRequest | null;
    };

export type ExistingContainment = Exclude<ContainmentState, { status: 'none' }>;

export function initialState(): ContainmentState {
  return { status: 'none' };
}

const FAILED_STAGE: Record<'awaiting_snapshot' | 'awaiting_revocation' | 'awaiting_restore', ConnectorStage> = {
  awaiting_snapshot: 'snapshot_failed',
  awaiting_revocation: 'revocation_failed',
  awaiting_restore: 'restore_failed',
};

/** Stage an operator's retry returns a failed connector to. */
export const RETRY_STAGE: Partial<Record<ConnectorStage, ConnectorStage>> = {
  snapshot_failed: 'awaiting_snapshot',
  revocation_failed: 'awaiting_revocation',
  restore_failed: 'awaiting_restore',
};

function updateConnector(
  state: ExistingContainment,
  name: string,
  change: (c: ConnectorProgress) => ConnectorProgress,
): ExistingContainment {
  return { ...state, connectors: state.connectors.map((c) => (c.connector === name ? change(c) : c)) };
}

function stepFailed(c: ConnectorProgress, data: ContainmentEventOf<'SnapshotFailed'>['data']): ConnectorProgress {
  const failedStage = FAILED_STAGE[c.stage as keyof typeof FAILED_STAGE];
  return {
    ...c,
    stage: data.will_retry || failedStage === undefined ? c.stage : failedStage,
    failedAttempts: data.attempt,
    lastError: data.error,
  };
}

/**
 * Applies one recorded event. Total and pure: an event that does not fit the
 * state (which only a corrupted stream could contain) leaves it unchanged,
 * because refusing is `decide`'s job, not replay's.
 */
export function evolve(state: ContainmentState, event: ContainmentEvent): ContainmentState {
  if (event.type === 'ContainmentRequested') {
    if (state.status !== 'none') return state;
    const d = event.data;
    return {
      status: 'pending',
      request: {
        containmentId: d.containment_id,
        tenant: d.tenant,
        principal: d.principal,
        reason: d.reason,
        incidentId: d.incident_id ?? null,
        requestedBy: d.requested_by,
        idempotencyKey: d.idempotency_key,
        requestedAt: event.metadata.recordedAt,
      },
      connectors: d.connectors.map((connector) => ({
        connector,
        stage: 'awaiting_snapshot',
        snapshot: null,
        revoked: [],
        restored: [],
        failedAttempts: 0,
        lastError: null,
      })),
      rollback: null,
    };
  }
  if (state.status === 'none') return state;

  switch (event.type) {
    case 'AccessSnapshotted':
      return updateConnector(state, event.data.connector, (c) => ({
        ...c,
        stage: 'awaiting_revocation',
        snapshot: event.data.items,
        failedAttempts: 0,
        lastError: null,
      }));
    case 'AccessRevoked':
      return updateConnector(state, event.data.connector, (c) => {
        const revoked = itemsUnion(c.revoked, event.data.items);
        const complete = revoked.length === (c.snapshot?.length ?? 0);
        return { ...c, revoked, stage: complete ? 'revoked' : c.stage, failedAttempts: 0, lastError: null };
      });
    case 'AccessRestored':
      return updateConnector(state, event.data.connector, (c) => {
        const restored = itemsUnion(c.restored, event.data.items);
        const complete = restored.length === (c.snapshot?.length ?? 0);
        return { ...c, restored, stage: complete ? 'restored' : c.stage, failedAttempts: 0, lastError: null };
      });
    case 'SnapshotFailed':
    case 'RevocationFailed':
    case 'RestoreFailed':
      return updateConnector(state, event.data.connector, (c) => stepFailed(c, event.data));
    case 'ContainmentCompleted':
      return { ...state, status: event.data.status };
    case 'ConnectorsRetryRequested': {
      const retried = new Set(event.data.connectors);
      return {
        ...state,
        // A retry during rollback keeps rolling back; otherwise containment is under way again.
        status: state.status === 'rolling_back' ? 'rolling_back' : 'pending',
        connectors: state.connectors.map((c) =>
          retried.has(c.connector) && RETRY_STAGE[c.stage]
            ? { ...c, stage: RETRY_STAGE[c.stage] as ConnectorStage, failedAttempts: 0 }
            : c,
        ),
      };
    }
    case 'RollbackRequested': {
      const restoring = new Set(event.data.connectors);
      return {
        ...state,
        status: 'rolling_back',
        rollback: {
          reason: event.data.reason,
          requestedBy: event.data.requested_by,
          requestedAt: event.metadata.recordedAt,
        },
        connectors: state.connectors.map((c) =>
          restoring.has(c.connector)
            ? { ...c, stage: 'awaiting_restore', restored: [], failedAttempts: 0, lastError: null }
            : c,
        ),
      };
    }
    case 'RollbackCompleted':
      return { ...state, status: 'rolled_back' };
    default: {
      const unexpected: never = event;
      return unexpected;
    }
  }
}
