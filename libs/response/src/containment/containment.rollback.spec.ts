import { describe, it } from 'vitest';
import { DeciderSpecification } from '../testing/decider-specification.js';
import {
  KAFKA,
  PG,
  accessRestored,
  accessRevoked,
  accessSnapshotted,
  containedHistory,
  containmentCompleted,
  containmentRequested,
  connectorsRetryRequested,
  kafkaItems,
  pgItems,
  recordRestore,
  recordRestoreFailure,
  recordRevocation,
  recordSnapshot,
  restoreFailed,
  retryConnectors,
  revocationFailed,
  rollbackCompleted,
  rollbackContainment,
  rollbackRequested,
  snapshotFailed,
  tableGrant,
} from '../testing/containment.fixtures.js';
import { containmentDecider } from './containment.decider.js';
import { containmentEventSchema } from './containment.events.js';

const spec = DeciderSpecification.for(containmentDecider, {
  validateEvent: (e) => containmentEventSchema.parse(e),
});

const rollingBack = () => [...containedHistory(), rollbackRequested([PG, KAFKA])];

describe('RollbackContainment', () => {
  it('cannot roll back a containment that was never requested', () => {
    spec.given([]).when(rollbackContainment()).thenThrows('CONTAINMENT.NOT_FOUND');
  });

  it('cannot roll back what is not contained yet', () => {
    spec.given([containmentRequested(), accessSnapshotted(PG, pgItems)]).when(rollbackContainment()).thenThrows('CONTAINMENT.NOT_CONTAINED');
  });

  it('records the intent to restore every connector with a snapshot', () => {
    spec.given(containedHistory()).when(rollbackContainment()).then([rollbackRequested([PG, KAFKA])]);
  });

  it('after a partial containment, restores only where a snapshot was recorded', () => {
    spec
      .given([
        containmentRequested(),
        accessSnapshotted(PG, pgItems),
        accessRevoked(PG, pgItems),
        snapshotFailed(KAFKA, { retriable: false, attempt: 1, will_retry: false }),
        containmentCompleted('partial', [PG], [KAFKA]),
      ])
      .when(rollbackContainment())
      .then([rollbackRequested([PG])]);
  });

  it('restores a connector whose revocation failed, since some items may have gone before it failed', () => {
    spec
      .given([
        containmentRequested([PG]),
        accessSnapshotted(PG, pgItems),
        revocationFailed(PG, { retriable: false, attempt: 1, will_retry: false }),
        containmentCompleted('failed', [], [PG]),
      ])
      .when(rollbackContainment())
      .then([rollbackRequested([PG])]);
  });

  it('cannot roll back a failed containment that never recorded a snapshot', () => {
    spec
      .given([
        containmentRequested([PG]),
        snapshotFailed(PG, { retriable: false, attempt: 1, will_retry: false }),
        containmentCompleted('failed', [], [PG]),
      ])
      .when(rollbackContainment())
      .thenThrows('CONTAINMENT.NOT_CONTAINED');
  });

  it('changes nothing when asked again while rolling back', () => {
    spec.given(rollingBack()).when(rollbackContainment()).thenNothingHappened();
  });

  it('refuses once rolled back', () => {
    const done = [
      ...rollingBack(),
      accessRestored(PG, pgItems),
      accessRestored(KAFKA, kafkaItems),
      rollbackCompleted([PG, KAFKA]),
    ];
    spec.given(done).when(rollbackContainment()).thenThrows('CONTAINMENT.ALREADY_ROLLED_BACK');
    spec.given(done).when(recordRestore(PG, pgItems)).thenThrows('CONTAINMENT.ALREADY_ROLLED_BACK');
    spec.given(done).when(retryConnectors()).thenThrows('CONTAINMENT.ALREADY_ROLLED_BACK');
  });
});

describe('RecordRestore', () => {
  it('restores exactly the snapshot and completes the rollback with the last connector', () => {
    spec
      .given([...rollingBack(), accessRestored(PG, pgItems)])
      .when(recordRestore(KAFKA, kafkaItems))
      .then([accessRestored(KAFKA, kafkaItems), rollbackCompleted([PG, KAFKA])]);
  });

  it('restores only what was snapshotted: nothing more', () => {
    spec
      .given(rollingBack())
      .when(recordRestore(PG, [...pgItems, tableGrant('payroll', 'DELETE')]))
      .thenThrows('CONTAINMENT.ITEM_NOT_IN_SNAPSHOT');
  });

  it('is not done until every snapshotted item is back', () => {
    spec
      .given(rollingBack())
      .when(recordRestore(PG, pgItems.slice(0, 2)))
      .then([accessRestored(PG, pgItems.slice(0, 2))]);
    spec
      .given([...rollingBack(), accessRestored(PG, pgItems.slice(0, 2)), accessRestored(KAFKA, kafkaItems)])
      .when(recordRestore(PG, pgItems))
      .then([accessRestored(PG, pgItems.slice(2)), rollbackCompleted([PG, KAFKA])]);
  });

  it('refuses a restore before a rollback was requested', () => {
    spec.given(containedHistory()).when(recordRestore(PG, pgItems)).thenThrows('CONTAINMENT.UNEXPECTED_STEP');
  });

  it('refuses containment steps during a rollback', () => {
    spec.given(rollingBack()).when(recordRevocation(PG, pgItems)).thenThrows('CONTAINMENT.UNEXPECTED_STEP');
    spec.given(rollingBack()).when(recordSnapshot(PG, [])).thenThrows('CONTAINMENT.SNAPSHOT_ALREADY_TAKEN');
  });

  it('does not call a rollback complete when a restore failed for good', () => {
    spec
      .given([...rollingBack(), accessRestored(PG, pgItems)])
      .when(recordRestoreFailure(KAFKA, false))
      .then([restoreFailed(KAFKA, { retriable: false, attempt: 1, will_retry: false })]);
  });

  it('completes the rollback when the failed restore is retried successfully', () => {
    const stuck = [
      ...rollingBack(),
      accessRestored(PG, pgItems),
      restoreFailed(KAFKA, { retriable: false, attempt: 1, will_retry: false }),
    ];
    spec.given(stuck).when(retryConnectors()).then([connectorsRetryRequested([KAFKA])]);
    spec
      .given([...stuck, connectorsRetryRequested([KAFKA])])
      .when(recordRestore(KAFKA, kafkaItems))
      .then([accessRestored(KAFKA, kafkaItems), rollbackCompleted([PG, KAFKA])]);
  });

  it('retries only restores during a rollback, never a revocation', () => {
    spec
      .given([
        containmentRequested(),
        accessSnapshotted(PG, pgItems),
        accessRevoked(PG, pgItems),
        snapshotFailed(KAFKA, { retriable: false, attempt: 1, will_retry: false }),
        containmentCompleted('partial', [PG], [KAFKA]),
        rollbackRequested([PG]),
      ])
      .when(retryConnectors([KAFKA]))
      .thenThrows('CONTAINMENT.NOTHING_TO_RETRY');
  });
});
