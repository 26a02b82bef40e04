import { DomainError } from '@warden/common';

/**
 * Everything the containment decider refuses. Codes are stable (the API maps
 * them to HTTP statuses; clients and tests match on them); messages are for
 * people and may change.
 */
export abstract class ContainmentError extends DomainError {}

export class ContainmentNotFoundError extends ContainmentError {
  readonly code = 'CONTAINMENT.NOT_FOUND';
  constructor(containmentId: string) {
    super(`No containment ${containmentId} has been requested`, { containmentId });
  }
}

/** The stream already holds a containment requested under another idempotency key. */
export class ContainmentAlreadyRequestedError extends ContainmentError {
  readonly code = 'CONTAINMENT.ALREADY_REQUESTED';
  constructor(containmentId: string) {
    super(`Containment ${containmentId} was already requested with another idempotency key`, { containmentId });
  }
}

/** Same idempotency key, different target: a client bug, refused rather than guessed at. */
export class IdempotencyKeyReusedError extends ContainmentError {
  readonly code = 'CONTAINMENT.IDEMPOTENCY_KEY_REUSED';
  constructor(idempotencyKey: string) {
    super(`Idempotency key ${idempotencyKey} was already used for another principal`, { idempotencyKey });
  }
}

export class NoConnectorsError extends ContainmentError {
  readonly code = 'CONTAINMENT.NO_CONNECTORS';
  constructor() {
    super('No connector is configured, so there is nothing to contain the principal with');
  }
}

export class UnknownConnectorError extends ContainmentError {
  readonly code = 'CONTAINMENT.UNKNOWN_CONNECTOR';
  constructor(connectors: string[]) {
    super(`Unknown connector(s): ${connectors.join(', ')}`, { connectors });
  }
}

export class DuplicateItemsError extends ContainmentError {
  readonly code = 'CONTAINMENT.DUPLICATE_ITEMS';
  constructor(connector: string, keys: string[]) {
    super(`Connector ${connector} reported the same item more than once`, { connector, keys });
  }
}

/** Revocation reported for a connector whose holdings were never recorded: nothing to roll back to. */
export class SnapshotRequiredError extends ContainmentError {
  readonly code = 'CONTAINMENT.SNAPSHOT_REQUIRED';
  constructor(connector: string) {
    super(`Cannot revoke on ${connector} before its snapshot is recorded`, { connector });
  }
}

/**
 * A second, different snapshot for a connector. Accepting it could replace
 * what the principal held with what it holds after revocation, and rollback
 * would then restore nothing.
 */
export class SnapshotAlreadyTakenError extends ContainmentError {
  readonly code = 'CONTAINMENT.SNAPSHOT_ALREADY_TAKEN';
  constructor(connector: string) {
    super(`A different snapshot for ${connector} is already recorded`, { connector });
  }
}

/** Revoked or restored items must come from the snapshot: rollback restores that, and only that. */
export class ItemNotInSnapshotError extends ContainmentError {
  readonly code = 'CONTAINMENT.ITEM_NOT_IN_SNAPSHOT';
  constructor(connector: string, keys: string[]) {
    super(`Items reported for ${connector} are not in its snapshot`, { connector, keys });
  }
}

/** A connector outcome that does not fit where that connector is in its lifecycle. */
export class UnexpectedStepError extends ContainmentError {
  readonly code = 'CONTAINMENT.UNEXPECTED_STEP';
  constructor(connector: string, step: string, stage: string) {
    super(`Connector ${connector} is at "${stage}"; a ${step} outcome is not expected now`, { connector, step, stage });
  }
}

export class NotContainedError extends ContainmentError {
  readonly code = 'CONTAINMENT.NOT_CONTAINED';
  constructor(containmentId: string, status: string) {
    super(`Containment ${containmentId} is ${status}: there is nothing contained to roll back`, { containmentId, status });
  }
}

export class AlreadyRolledBackError extends ContainmentError {
  readonly code = 'CONTAINMENT.ALREADY_ROLLED_BACK';
  constructor(containmentId: string) {
    super(`Containment ${containmentId} has already been rolled back`, { containmentId });
  }
}

export class NothingToRetryError extends ContainmentError {
  readonly code = 'CONTAINMENT.NOTHING_TO_RETRY';
  constructor(containmentId: string, connectors: string[]) {
    super(
      connectors.length === 0
        ? `No connector of containment ${containmentId} has failed`
        : `Connector(s) ${connectors.join(', ')} of containment ${containmentId} have not failed`,
      { containmentId, connectors },
    );
  }
}
