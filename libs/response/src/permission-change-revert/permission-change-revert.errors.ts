import { DomainError } from '@warden/common';

/** Everything reverting a permission change refuses; codes are stable, messages are for people. */
export abstract class PermissionChangeRevertError extends DomainError {}

export class PermissionChangeEventNotFoundError extends PermissionChangeRevertError {
  readonly code = 'PERMISSION_CHANGE.EVENT_NOT_FOUND';
  constructor(eventId: string) {
    super(`No event ${eventId} is stored`, { eventId });
  }
}

/** Only a successful permission.grant or permission.revoke that names a grantee and privileges has an inverse. */
export class NotRevertibleError extends PermissionChangeRevertError {
  readonly code = 'PERMISSION_CHANGE.NOT_REVERTIBLE';
  constructor(eventId: string, why: string) {
    super(`Event ${eventId} cannot be reverted: ${why}`, { eventId, why });
  }
}

export class NoOwningConnectorError extends PermissionChangeRevertError {
  readonly code = 'PERMISSION_CHANGE.NO_OWNING_CONNECTOR';
  constructor(resourceType: string, resourceId: string) {
    super(`No configured connector owns ${resourceType} ${resourceId} (list the type under a connector's "resources")`, { resourceType, resourceId });
  }
}

/** Two connectors claim the resource: guessing which one to change is not an option. */
export class AmbiguousOwnerError extends PermissionChangeRevertError {
  readonly code = 'PERMISSION_CHANGE.AMBIGUOUS_OWNER';
  constructor(resourceType: string, resourceId: string, connectors: string[]) {
    super(`Connectors ${connectors.join(', ')} all own ${resourceType} ${resourceId}; name the database in the resource id`, {
      resourceType,
      resourceId,
      connectors,
    });
  }
}

export class RevertNotFoundError extends PermissionChangeRevertError {
  readonly code = 'PERMISSION_CHANGE.REVERT_NOT_FOUND';
  constructor(eventId: string) {
    super(`No revert of event ${eventId} has been requested`, { eventId });
  }
}

/** An outcome reported for a revert that is not waiting for one (already done, failed for good, or another connector's). */
export class UnexpectedRevertOutcomeError extends PermissionChangeRevertError {
  readonly code = 'PERMISSION_CHANGE.UNEXPECTED_OUTCOME';
  constructor(revertId: string, status: string, connector: string) {
    super(`Revert ${revertId} is ${status}; an outcome from ${connector} is not expected now`, { revertId, status, connector });
  }
}
