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
