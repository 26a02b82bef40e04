import type { AccessItem } from '../containment/access-item.js';
import type { ContainmentCommand, ContainmentCommandOf } from '../containment/containment.commands.js';
import type { ContainmentEventOf, StepError } from '../containment/containment.events.js';
import type { CommandMetadata, EventMetadata } from '../containment/containment.metadata.js';

/** Test data for containment specs: one containment, two connectors, readable builders. */
export const ID = 'ctn_1';
export const PG = 'postgres-main';
export const KAFKA = 'kafka-main';

export const meta: CommandMetadata = {
  now: '2026-11-24T08:00:00Z',
  correlationId: 'incident-42',
  causationId: 'cmd-1',
  actor: 'user:alice',
};
export const recorded: EventMetadata = {
  recordedAt: meta.now,
  correlationId: meta.correlationId,
  causationId: meta.causationId,
  actor: meta.actor,
};

export const tableGrant = (table: string, privilege = 'SELECT'): AccessItem => ({
  kind: 'pg.relation',
  schema: 'app',
  relation: table,
  privilege,
  grantable: false,
  grantor: 'app_owner',
});
export const login: AccessItem = { kind: 'pg.login' };
export const topicAcl = (topic: string): AccessItem => ({ kind: 'kafka.acl', topic, operation: 'READ' });

export const pgItems = [login, tableGrant('orders'), tableGrant('users', 'UPDATE')];
export const kafkaItems = [topicAcl('agent-actions')];

export const boom: StepError = { code: 'CONNECTOR.UNAVAILABLE', message: 'connection refused' };

// ── commands ────────────────────────────────────────────────────────────────

export function containPrincipal(
  overrides: Partial<ContainmentCommandOf<'ContainPrincipal'>['data']> = {},
): ContainmentCommandOf<'ContainPrincipal'> {
  return {
    type: 'ContainPrincipal',
    data: {
      containment_id: ID,
      tenant: 'acme',
      principal: 'agent-7',
      reason: 'posted customer data to a public forum',
      requested_by: 'user:alice',
      idempotency_key: 'key-1',
      connectors: 'all',
      configured_connectors: [PG, KAFKA],
      ...overrides,
    },
    metadata: meta,
  };
}

type OutcomeCommand = 'RecordSnapshot' | 'RecordRevocation' | 'RecordRestore';
type FailureCommand = 'RecordSnapshotFailure' | 'RecordRevocationFailure' | 'RecordRestoreFailure';

const outcome =
  <T extends OutcomeCommand>(type: T) =>
  (connector: string, items: AccessItem[]): ContainmentCommand =>
    ({ type, data: { containment_id: ID, connector, items }, metadata: meta }) as ContainmentCommand;
const failureOf =
  <T extends FailureCommand>(type: T) =>
  (connector: string, retriable: boolean, error: StepError = boom): ContainmentCommand =>
    ({ type, data: { containment_id: ID, connector, error, retriable }, metadata: meta }) as ContainmentCommand;

export const recordSnapshot = outcome('RecordSnapshot');
export const recordRevocation = outcome('RecordRevocation');
export const recordRestore = outcome('RecordRestore');
export const recordSnapshotFailure = failureOf('RecordSnapshotFailure');
export const recordRevocationFailure = failureOf('RecordRevocationFailure');
export const recordRestoreFailure = failureOf('RecordRestoreFailure');

export const rollbackContainment = (): ContainmentCommand => ({
  type: 'RollbackContainment',
  data: { containment_id: ID, reason: 'incident closed', requested_by: 'user:bob' },
  metadata: meta,
});

export const retryConnectors = (connectors: 'all' | string[] = 'all'): ContainmentCommand => ({
  type: 'RetryConnectors',
  data: { containment_id: ID, connectors, reason: 'database is back', requested_by: 'user:bob' },
  metadata: meta,
});

// ── events ──────────────────────────────────────────────────────────────────

export function containmentRequested(connectors: string[] = [PG, KAFKA]): ContainmentEventOf<'ContainmentRequested'> {
  return {
    type: 'ContainmentRequested',
    data: {
      containment_id: ID,
      tenant: 'acme',
      principal: 'agent-7',
      reason: 'posted customer data to a public forum',
      requested_by: 'user:alice',
      idempotency_key: 'key-1',
      connectors,
    },
    metadata: recorded,
  };
}

export const accessSnapshotted = (connector: string, items: AccessItem[]): ContainmentEventOf<'AccessSnapshotted'> => ({
  type: 'AccessSnapshotted',
  data: { containment_id: ID, connector, items },
  metadata: recorded,
});
export const accessRevoked = (connector: string, items: AccessItem[]): ContainmentEventOf<'AccessRevoked'> => ({
  type: 'AccessRevoked',
  data: { containment_id: ID, connector, items },
  metadata: recorded,
});
export const accessRestored = (connector: string, items: AccessItem[]): ContainmentEventOf<'AccessRestored'> => ({
  type: 'AccessRestored',
  data: { containment_id: ID, connector, items },
  metadata: recorded,
});

type FailureEvent = 'SnapshotFailed' | 'RevocationFailed' | 'RestoreFailed';
const failed =
  <T extends FailureEvent>(type: T) =>
  (connector: string, f: { retriable: boolean; attempt: number; will_retry: boolean; error?: StepError }): ContainmentEventOf<T> =>
    ({
      type,
      data: { containment_id: ID, connector, error: f.error ?? boom, retriable: f.retriable, attempt: f.attempt, will_retry: f.will_retry },
      metadata: recorded,
    }) as ContainmentEventOf<T>;
export const snapshotFailed = failed('SnapshotFailed');
export const revocationFailed = failed('RevocationFailed');
export const restoreFailed = failed('RestoreFailed');

export const containmentCompleted = (
  status: 'contained' | 'partial' | 'failed',
  contained: string[],
  failedConnectors: string[],
): ContainmentEventOf<'ContainmentCompleted'> => ({
  type: 'ContainmentCompleted',
  data: { containment_id: ID, status, contained, failed: failedConnectors },
  metadata: recorded,
});
export const connectorsRetryRequested = (connectors: string[]): ContainmentEventOf<'ConnectorsRetryRequested'> => ({
  type: 'ConnectorsRetryRequested',
  data: { containment_id: ID, connectors, reason: 'database is back', requested_by: 'user:bob' },
  metadata: recorded,
});
export const rollbackRequested = (connectors: string[]): ContainmentEventOf<'RollbackRequested'> => ({
  type: 'RollbackRequested',
  data: { containment_id: ID, reason: 'incident closed', requested_by: 'user:bob', connectors },
  metadata: recorded,
});
export const rollbackCompleted = (connectors: string[]): ContainmentEventOf<'RollbackCompleted'> => ({
  type: 'RollbackCompleted',
  data: { containment_id: ID, connectors },
  metadata: recorded,
});

/** A containment of both connectors that went through cleanly. */
export const containedHistory = () => [
  containmentRequested(),
  accessSnapshotted(PG, pgItems),
  accessSnapshotted(KAFKA, kafkaItems),
  accessRevoked(PG, pgItems),
  accessRevoked(KAFKA, kafkaItems),
  containmentCompleted('contained', [PG, KAFKA], []),
];
