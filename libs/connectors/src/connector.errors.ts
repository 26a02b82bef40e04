import { DomainError } from '@warden/common';

/**
 * Why a connector call failed, and whether trying again could help. Only
 * errors typed as retriable are retried (by `withRetry`, and by the response
 * process manager); anything else is reported and waits for a person.
 */
export abstract class ConnectorError extends DomainError {
  abstract readonly retriable: boolean;
}

/** The call did not finish in time. The target may or may not have applied it; every operation is safe to repeat. */
export class ConnectorTimeoutError extends ConnectorError {
  readonly code = 'CONNECTOR.TIMEOUT';
  readonly retriable = true;
  constructor(operation: string, timeoutMs: number, options?: { cause?: unknown }) {
    super(`${operation} did not finish within ${timeoutMs} ms`, { operation, timeoutMs }, options);
  }
}

/** The target could not be reached or asked us to come back later (connection lost, shutdown, conflict). */
export class ConnectorUnavailableError extends ConnectorError {
  readonly code = 'CONNECTOR.UNAVAILABLE';
  readonly retriable = true;
  constructor(message: string, metadata: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, metadata, options);
  }
}

/** The target refused the operation (permissions, missing object, invalid statement). Repeating it will not help. */
export class ConnectorRejectedError extends ConnectorError {
  readonly code = 'CONNECTOR.REJECTED';
  readonly retriable = false;
  constructor(message: string, metadata: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, metadata, options);
  }
}

/** The mapping from principal to identity gives no usable identity on this target. */
export class UnmappedPrincipalError extends ConnectorError {
  readonly code = 'CONNECTOR.UNMAPPED_PRINCIPAL';
  readonly retriable = false;
  constructor(principal: string, why: string) {
    super(`Principal ${principal} has no identity on this target: ${why}`, { principal });
  }
}

/** The mapped identity does not exist on the target; likely a wrong mapping, so it is refused rather than read as "holds nothing". */
export class IdentityNotFoundError extends ConnectorError {
  readonly code = 'CONNECTOR.IDENTITY_NOT_FOUND';
  readonly retriable = false;
  constructor(connector: string, identity: string) {
    super(`${connector}: identity ${identity} does not exist`, { connector, identity });
  }
}

/** An item handed to a connector is not one of its kinds (e.g. a Kafka ACL given to Postgres). */
export class InvalidAccessItemError extends ConnectorError {
  readonly code = 'CONNECTOR.INVALID_ITEM';
  readonly retriable = false;
  constructor(connector: string, issues: string[]) {
    super(`${connector}: items are not valid for this connector: ${issues.join('; ')}`, { connector, issues });
  }
}

/** The plain, storable form of a failure, as recorded in the response ledger. */
export interface ConnectorFailure {
  code: string;
  message: string;
  retriable: boolean;
}

/** Any thrown value as a ConnectorFailure; errors of unknown type are not retried. */
export function describeConnectorFailure(error: unknown): ConnectorFailure {
  if (error instanceof ConnectorError) return { code: error.code, message: error.message, retriable: error.retriable };
  if (error instanceof DomainError) return { code: error.code, message: error.message, retriable: false };
  return { code: 'CONNECTOR.UNEXPECTED', message: error instanceof Error ? error.message : String(error), retriable: false };
}

/** The resource a change names does not exist on the target (dropped, renamed, or a wrong id). */
export class ResourceNotFoundError extends ConnectorError {
  readonly code = 'CONNECTOR.RESOURCE_NOT_FOUND';
  readonly retriable = false;
  constructor(connector: string, resource: string) {
    super(`${connector}: resource ${resource} does not exist`, { connector, resource });
  }
}
