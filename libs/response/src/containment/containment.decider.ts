import type { Decider } from '../decider/decider.js';
import { accessItemKey, duplicateKeys, itemsMinus, type AccessItem } from './access-item.js';
import type { ContainmentCommand, ContainmentCommandOf, ConnectorSelection } from './containment.commands.js';
import {
  AlreadyRolledBackError,
  ContainmentAlreadyRequestedError,
  ContainmentNotFoundError,
  DuplicateItemsError,
  IdempotencyKeyReusedError,
  ItemNotInSnapshotError,
  NoConnectorsError,
  NotContainedError,
  NothingToRetryError,
  SnapshotAlreadyTakenError,
  SnapshotRequiredError,
  UnexpectedStepError,
  UnknownConnectorError,
} from './containment.errors.js';
import type { ContainmentEvent, ContainmentEventOf } from './containment.events.js';
import { eventMetadataFrom, type EventMetadata } from './containment.metadata.js';
import {
  RETRY_STAGE,
  evolve,
  initialState,
  type ConnectorProgress,
  type ConnectorStage,
  type ContainmentState,
  type ExistingContainment,
} from './containment.state.js';

/**
 * How many times one step (a snapshot, a revocation, a restore) may fail
 * retriably on one connector before Warden stops trying on its own and waits
 * for an operator. Each attempt already includes the connector's own short
 * retries, so this bounds the slow, ledger-level loop.
 */
export const MAX_ATTEMPTS_PER_STEP = 3;

type Step = 'snapshot' | 'revocation' | 'restore';

/** Decides what a command means for a containment, as events. Pure: no clock, no I/O. */
export function decide(command: ContainmentCommand, state: ContainmentState): ContainmentEvent[] {
  switch (command.type) {
    case 'ContainPrincipal':
      return containPrincipal(command, state);
    case 'RecordSnapshot':
      return recordSnapshot(command, existing(state, command.data.containment_id));
    case 'RecordSnapshotFailure':
      return recordFailure(command, existing(state, command.data.containment_id), 'snapshot');
    case 'RecordRevocation':
      return recordRevocation(command, existing(state, command.data.containment_id));
    case 'RecordRevocationFailure':
      return recordFailure(command, existing(state, command.data.containment_id), 'revocation');
    case 'RetryConnectors':
      return retryConnectors(command, existing(state, command.data.containment_id));
    case 'RollbackContainment':
      return rollbackContainment(command, existing(state, command.data.containment_id));
    case 'RecordRestore':
      return recordRestore(command, existing(state, command.data.containment_id));
    case 'RecordRestoreFailure':
      return recordFailure(command, existing(state, command.data.containment_id), 'restore');
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

export const containmentDecider: Decider<ContainmentCommand, ContainmentEvent, ContainmentState> = {
  decide,
  evolve,
  initialState,
};

function existing(state: ContainmentState, containmentId: string): ExistingContainment {
  if (state.status === 'none') throw new ContainmentNotFoundError(containmentId);
  return state;
}

function containPrincipal(command: ContainmentCommandOf<'ContainPrincipal'>, state: ContainmentState): ContainmentEvent[] {
  const d = command.data;
  if (state.status !== 'none') {
    if (state.request.idempotencyKey !== d.idempotency_key) throw new ContainmentAlreadyRequestedError(d.containment_id);
    // The key names the request: a repeat changes nothing, whatever its wording.
    // Pointing the same key at another principal is a client bug, not a repeat.
    if (state.request.tenant !== d.tenant || state.request.principal !== d.principal) {
      throw new IdempotencyKeyReusedError(d.idempotency_key);
    }
    return [];
  }
  const connectors = resolveSelection(d.connectors, d.configured_connectors);
  if (connectors.length === 0) throw new NoConnectorsError();
  const event: ContainmentEventOf<'ContainmentRequested'> = {
    type: 'ContainmentRequested',
    data: {
      containment_id: d.containment_id,
      tenant: d.tenant,
      principal: d.principal,
      reason: d.reason,
      ...(d.incident_id === undefined ? {} : { incident_id: d.incident_id }),
      requested_by: d.requested_by,
      idempotency_key: d.idempotency_key,
      connectors,
    },
    metadata: eventMetadataFrom(command.metadata),
  };
  return [event];
}

/** "all" → every candidate; a list → itself (deduplicated), each name a candidate. */
function resolveSelection(selection: ConnectorSelection, candidates: readonly string[]): string[] {
  if (selection === 'all') return [...new Set(candidates)];
  const unknown = selection.filter((name) => !candidates.includes(name));
  if (unknown.length > 0) throw new UnknownConnectorError(unknown);
  return [...new Set(selection)];
}

function connectorOf(state: ExistingContainment, name: string): ConnectorProgress {
  const progress = state.connectors.find((c) => c.connector === name);
  if (!progress) throw new UnknownConnectorError([name]);
  return progress;
}

function refuseAfterRollback(state: ExistingContainment): void {
  if (state.status === 'rolled_back') throw new AlreadyRolledBackError(state.request.containmentId);
}

function checkItems(connector: ConnectorProgress, items: readonly AccessItem[]): void {
  const dups = duplicateKeys(items);
  if (dups.length > 0) throw new DuplicateItemsError(connector.connector, dups);
  const outside = itemsMinus(items, connector.snapshot ?? []);
  if (outside.length > 0) throw new ItemNotInSnapshotError(connector.connector, outside.map(accessItemKey));
}

function recordSnapshot(command: ContainmentCommandOf<'RecordSnapshot'>, state: ExistingContainment): ContainmentEvent[] {
  refuseAfterRollback(state);
  const { connector, items } = command.data;
  const progress = connectorOf(state, connector);
  if (progress.snapshot !== null) {
    const identical =
      progress.snapshot.length === items.length && itemsMinus(items, progress.snapshot).length === 0;
    if (identical) return [];
    throw new SnapshotAlreadyTakenError(connector);
  }
  if (progress.stage !== 'awaiting_snapshot') throw new UnexpectedStepError(connector, 'snapshot', progress.stage);
  const dups = duplicateKeys(items);
  if (dups.length > 0) throw new DuplicateItemsError(connector, dups);
  return [
    {
      type: 'AccessSnapshotted',
      data: { containment_id: state.request.containmentId, connector, items },
      metadata: eventMetadataFrom(command.metadata),
    },
  ];
}

function recordRevocation(command: ContainmentCommandOf<'RecordRevocation'>, state: ExistingContainment): ContainmentEvent[] {
  refuseAfterRollback(state);
  const { connector, items } = command.data;
  const progress = connectorOf(state, connector);
  if (progress.snapshot === null) throw new SnapshotRequiredError(connector);
  checkItems(progress, items);
  const fresh = itemsMinus(items, progress.revoked);
  if (progress.stage === 'revoked' && fresh.length === 0) return []; // a repeat of what is recorded
  if (progress.stage !== 'awaiting_revocation') throw new UnexpectedStepError(connector, 'revocation', progress.stage);
  // Nothing new while items remain: a repeat. (With nothing left, e.g. an empty
  // snapshot, the event is what marks the connector revoked.)
  if (fresh.length === 0 && itemsMinus(progress.snapshot, progress.revoked).length > 0) return [];
  const meta = eventMetadataFrom(command.metadata);
  const revoked: ContainmentEvent = {
    type: 'AccessRevoked',
    data: { containment_id: state.request.containmentId, connector, items: fresh },
    metadata: meta,
  };
  return withSettlement(state, [revoked], meta);
}

function recordRestore(command: ContainmentCommandOf<'RecordRestore'>, state: ExistingContainment): ContainmentEvent[] {
  refuseAfterRollback(state);
  const { connector, items } = command.data;
  const progress = connectorOf(state, connector);
  if (state.status !== 'rolling_back') throw new UnexpectedStepError(connector, 'restore', progress.stage);
  checkItems(progress, items);
  const fresh = itemsMinus(items, progress.restored);
  if (progress.stage === 'restored' && fresh.length === 0) return [];
  if (progress.stage !== 'awaiting_restore' || progress.snapshot === null) {
    throw new UnexpectedStepError(connector, 'restore', progress.stage);
  }
  if (fresh.length === 0 && itemsMinus(progress.snapshot, progress.restored).length > 0) return [];
  const meta = eventMetadataFrom(command.metadata);
  const restored: ContainmentEvent = {
    type: 'AccessRestored',
    data: { containment_id: state.request.containmentId, connector, items: fresh },
    metadata: meta,
  };
  return withSettlement(state, [restored], meta);
}

const AWAITING: Record<Step, ConnectorStage> = {
  snapshot: 'awaiting_snapshot',
  revocation: 'awaiting_revocation',
  restore: 'awaiting_restore',
};

const FAILURE_EVENT = {
  snapshot: 'SnapshotFailed',
  revocation: 'RevocationFailed',
  restore: 'RestoreFailed',
} as const;

function recordFailure(
  command: ContainmentCommandOf<'RecordSnapshotFailure' | 'RecordRevocationFailure' | 'RecordRestoreFailure'>,
  state: ExistingContainment,
  step: Step,
): ContainmentEvent[] {
  refuseAfterRollback(state);
  const { connector, error, retriable } = command.data;
  const progress = connectorOf(state, connector);
  if (step === 'revocation' && progress.snapshot === null) throw new SnapshotRequiredError(connector);
  if (progress.stage !== AWAITING[step]) throw new UnexpectedStepError(connector, step, progress.stage);
  const attempt = progress.failedAttempts + 1;
  const meta = eventMetadataFrom(command.metadata);
  const failed = {
    type: FAILURE_EVENT[step],
    data: {
      containment_id: state.request.containmentId,
      connector,
      error,
      retriable,
      attempt,
      will_retry: retriable && attempt < MAX_ATTEMPTS_PER_STEP,
    },
    metadata: meta,
  } satisfies ContainmentEvent;
  return withSettlement(state, [failed], meta);
}

function retryConnectors(command: ContainmentCommandOf<'RetryConnectors'>, state: ExistingContainment): ContainmentEvent[] {
  refuseAfterRollback(state);
  const d = command.data;
  // During rollback only restores are retried: re-running a revocation then
  // would contain the principal again while it is being released.
  const retriable = (c: ConnectorProgress) =>
    state.status === 'rolling_back' ? c.stage === 'restore_failed' : RETRY_STAGE[c.stage] !== undefined;
  const failed = state.connectors.filter(retriable).map((c) => c.connector);
  let chosen: string[];
  if (d.connectors === 'all') {
    chosen = failed;
  } else {
    const names = [...new Set(d.connectors)];
    const unknown = names.filter((n) => !state.connectors.some((c) => c.connector === n));
    if (unknown.length > 0) throw new UnknownConnectorError(unknown);
    const notFailed = names.filter((n) => !failed.includes(n));
    if (notFailed.length > 0) throw new NothingToRetryError(state.request.containmentId, notFailed);
    chosen = names;
  }
  if (chosen.length === 0) throw new NothingToRetryError(state.request.containmentId, []);
  return [
    {
      type: 'ConnectorsRetryRequested',
      data: {
        containment_id: state.request.containmentId,
        connectors: chosen,
        reason: d.reason,
        requested_by: d.requested_by,
      },
      metadata: eventMetadataFrom(command.metadata),
    },
  ];
}

function rollbackContainment(
  command: ContainmentCommandOf<'RollbackContainment'>,
  state: ExistingContainment,
): ContainmentEvent[] {
  const id = state.request.containmentId;
  switch (state.status) {
    case 'rolled_back':
      throw new AlreadyRolledBackError(id);
    case 'rolling_back':
      return []; // already under way: asking again changes nothing
    case 'pending':
      // Rolling back while connectors are still being worked on would race the
      // revocations; the containment must settle first (it does, within a
      // bounded number of attempts).
      throw new NotContainedError(id, state.status);
    case 'contained':
    case 'partial':
    case 'failed':
      break;
    default: {
      const unhandled: never = state.status;
      throw new Error(`unhandled status ${String(unhandled)}`);
    }
  }
  // Every connector with a snapshot is restored, even one whose revocation
  // failed: a failure may have come after some items were revoked, and
  // granting what is still held changes nothing.
  const connectors = state.connectors.filter((c) => c.snapshot !== null).map((c) => c.connector);
  if (connectors.length === 0) throw new NotContainedError(id, state.status);
  return [
    {
      type: 'RollbackRequested',
      data: {
        containment_id: id,
        reason: command.data.reason,
        requested_by: command.data.requested_by,
        connectors,
      },
      metadata: eventMetadataFrom(command.metadata),
    },
  ];
}

/**
 * Appends the event that closes a phase when `events` leave nothing to do:
 * ContainmentCompleted once every connector is revoked or has failed for
 * good; RollbackCompleted once every connector being restored is restored.
 * A restore that fails for good closes nothing: the principal is still
 * (partly) contained, and saying otherwise would be a lie in the ledger.
 */
function withSettlement(
  before: ExistingContainment,
  events: ContainmentEvent[],
  meta: EventMetadata,
): ContainmentEvent[] {
  const after = events.reduce<ContainmentState>(evolve, before);
  if (after.status === 'none') return events;
  const id = after.request.containmentId;

  if (after.status === 'pending') {
    const unsettled = after.connectors.some((c) => c.stage === 'awaiting_snapshot' || c.stage === 'awaiting_revocation');
    if (unsettled) return events;
    const contained = after.connectors.filter((c) => c.stage === 'revoked').map((c) => c.connector);
    const failed = after.connectors.filter((c) => c.stage !== 'revoked').map((c) => c.connector);
    const status = failed.length === 0 ? 'contained' : contained.length === 0 ? 'failed' : 'partial';
    return [
      ...events,
      { type: 'ContainmentCompleted', data: { containment_id: id, status, contained, failed }, metadata: meta },
    ];
  }

  if (after.status === 'rolling_back') {
    const restoring = after.connectors.filter((c) => c.stage === 'awaiting_restore' || c.stage === 'restore_failed' || c.stage === 'restored');
    if (restoring.every((c) => c.stage === 'restored')) {
      return [
        ...events,
        { type: 'RollbackCompleted', data: { containment_id: id, connectors: restoring.map((c) => c.connector) }, metadata: meta },
      ];
    }
  }
  return events;
}
