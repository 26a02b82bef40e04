export { type Decider, foldEvents } from './decider/decider.js';
export {
  accessItemSchema,
  accessItemKey,
  sameItems,
  type AccessItem,
} from './containment/access-item.js';
export * from './containment/containment.metadata.js';
export * from './containment/containment.events.js';
export * from './containment/containment.commands.js';
export * from './containment/containment.errors.js';
export {
  initialState,
  evolve,
  type ContainmentState,
  type ExistingContainment,
  type ContainmentStatus,
  type ContainmentRequest,
  type RollbackRequest,
  type ConnectorProgress,
  type ConnectorStage,
} from './containment/containment.state.js';
export { decide, containmentDecider, MAX_ATTEMPTS_PER_STEP } from './containment/containment.decider.js';
export {
  pendingWork,
  type PendingWork,
  type PendingStep,
  type BlockedConnector,
} from './containment/containment.pending-work.js';
export { containmentIdFor } from './containment/containment-id.js';

// The application around the decider: ledger, command handler, process manager, service, module.
export {
  ResponseLedger,
  RESPONSE_MIGRATIONS,
  ConcurrencyConflictError,
  type StoredStream,
  type StreamType,
  type LedgerEvent,
} from './ledger/response-ledger.js';
export { ConnectorRegistry, connectorsSectionSchema, type ConnectorsSection } from './application/connector-registry.js';
export { ExecuteContainmentCommand, ContainmentEventsRecorded, type ContainmentCommandResult } from './application/containment.commands.js';
export { ContainmentRunner } from './application/containment.runner.js';
export {
  ContainmentService,
  PrincipalAlreadyContainedError,
  toView,
  type ContainRequest,
  type ContainmentView,
} from './application/containment.service.js';
export { CONNECTOR_REGISTRY, RESPONSE_LEDGER } from './application/response.di-tokens.js';
export { ResponseModule } from './application/response.module.js';
export { AutoContainmentService } from './application/auto-containment.service.js';
export { AutoContainmentPolicy, type AutoContainMode, type AutoContainDecision } from './application/auto-containment.policy.js';

// Reverting a recorded permission change (RevertPermissionChange).
export * from './permission-change-revert/permission-change-revert.events.js';
export * from './permission-change-revert/permission-change-revert.commands.js';
export * from './permission-change-revert/permission-change-revert.errors.js';
export {
  initialRevertState,
  evolveRevert,
  type RevertState,
  type ExistingRevert,
  type RevertStatus,
  type RevertRequest,
} from './permission-change-revert/permission-change-revert.state.js';
export { decideRevert, permissionChangeRevertDecider, MAX_REVERT_ATTEMPTS } from './permission-change-revert/permission-change-revert.decider.js';
export { revertIdFor } from './permission-change-revert/revert-id.js';
export {
  ExecuteRevertCommand,
  PermissionChangeRevertEventsRecorded,
  type RevertCommandResult,
} from './application/permission-change-revert.handler.js';
export { PermissionChangeService, toRevertView, type PermissionChangeRevertView } from './application/permission-change.service.js';
