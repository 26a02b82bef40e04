import { describe, expect, it } from 'vitest';
import { foldEvents } from '../decider/decider.js';
import {
  KAFKA,
  PG,
  accessRestored,
  accessRevoked,
  accessSnapshotted,
  boom,
  containPrincipal,
  containedHistory,
  containmentCompleted,
  containmentRequested,
  kafkaItems,
  login,
  meta,
  pgItems,
  restoreFailed,
  revocationFailed,
  rollbackRequested,
  snapshotFailed,
} from '../testing/containment.fixtures.js';
import { accessItemKey, type AccessItem } from './access-item.js';
import type { ContainmentCommand } from './containment.commands.js';
import { containmentDecider } from './containment.decider.js';
import type { ContainmentEvent } from './containment.events.js';
import { pendingWork } from './containment.pending-work.js';

const stateOf = (events: ContainmentEvent[]) => foldEvents(containmentDecider, events);

describe('pendingWork', () => {
  it('has nothing to do for a containment that does not exist', () => {
    expect(pendingWork(stateOf([]))).toEqual({ status: 'none', steps: [], blocked: [] });
  });

  it('asks for a snapshot on every connector once the intent is recorded', () => {
    expect(pendingWork(stateOf([containmentRequested()]))).toEqual({
      status: 'pending',
      steps: [
        { action: 'snapshot', connector: PG, attempt: 1 },
        { action: 'snapshot', connector: KAFKA, attempt: 1 },
      ],
      blocked: [],
    });
  });

  it('asks to revoke exactly the snapshot once it is recorded', () => {
    expect(pendingWork(stateOf([containmentRequested(), accessSnapshotted(PG, pgItems)])).steps).toEqual([
      { action: 'revoke', connector: PG, items: pgItems, attempt: 1 },
      { action: 'snapshot', connector: KAFKA, attempt: 1 },
    ]);
  });

  it('asks to revoke only what remains after a revocation reported in part', () => {
    const events = [containmentRequested([PG]), accessSnapshotted(PG, pgItems), accessRevoked(PG, [login])];
    expect(pendingWork(stateOf(events)).steps).toEqual([
      { action: 'revoke', connector: PG, items: pgItems.slice(1), attempt: 1 },
    ]);
  });

  it('asks again after a retriable failure, with the next attempt number', () => {
    const events = [
      containmentRequested([PG]),
      accessSnapshotted(PG, pgItems),
      revocationFailed(PG, { retriable: true, attempt: 1, will_retry: true }),
    ];
    expect(pendingWork(stateOf(events)).steps).toEqual([{ action: 'revoke', connector: PG, items: pgItems, attempt: 2 }]);
  });

  it('has nothing left once contained', () => {
    expect(pendingWork(stateOf(containedHistory()))).toEqual({ status: 'contained', steps: [], blocked: [] });
  });

  it('reports connectors that failed for good as blocked, with the last error', () => {
    const events = [
      containmentRequested(),
      accessSnapshotted(PG, pgItems),
      accessRevoked(PG, pgItems),
      snapshotFailed(KAFKA, { retriable: false, attempt: 1, will_retry: false }),
      containmentCompleted('partial', [PG], [KAFKA]),
    ];
    expect(pendingWork(stateOf(events))).toEqual({
      status: 'partial',
      steps: [],
      blocked: [{ connector: KAFKA, stage: 'snapshot_failed', attempts: 1, lastError: boom }],
    });
  });

  it('asks to restore exactly the snapshot during a rollback, and no longer reports failed revocations', () => {
    const events = [
      containmentRequested(),
      accessSnapshotted(PG, pgItems),
      accessRevoked(PG, pgItems),
      snapshotFailed(KAFKA, { retriable: false, attempt: 1, will_retry: false }),
      containmentCompleted('partial', [PG], [KAFKA]),
      rollbackRequested([PG]),
    ];
    expect(pendingWork(stateOf(events))).toEqual({
      status: 'rolling_back',
      steps: [{ action: 'restore', connector: PG, items: pgItems, attempt: 1 }],
      blocked: [],
    });
  });

  it('reports a restore that failed for good as blocked', () => {
    const events = [
      ...containedHistory(),
      rollbackRequested([PG, KAFKA]),
      accessRestored(PG, pgItems),
      restoreFailed(KAFKA, { retriable: false, attempt: 1, will_retry: false }),
    ];
    expect(pendingWork(stateOf(events))).toEqual({
      status: 'rolling_back',
      steps: [],
      blocked: [{ connector: KAFKA, stage: 'restore_failed', attempts: 1, lastError: boom }],
    });
  });
});

/**
 * A toy process manager over in-memory connectors, to show that state alone
 * is enough to resume: it may "crash" after any connector call, before the
 * outcome is recorded, and a fresh run picks up from the ledger.
 */
class World {
  readonly held = new Map<string, Map<string, AccessItem>>();
  calls = 0;
  constructor(initial: Record<string, AccessItem[]>) {
    for (const [name, items] of Object.entries(initial)) {
      this.held.set(name, new Map(items.map((i) => [accessItemKey(i), i])));
    }
  }
  holdings(name: string): string[] {
    return [...(this.held.get(name)?.keys() ?? [])].sort();
  }
  /** Performs one step against the connector; returns the command that records its outcome. */
  perform(step: ReturnType<typeof pendingWork>['steps'][number]): ContainmentCommand {
    this.calls += 1;
    const held = this.held.get(step.connector) as Map<string, AccessItem>;
    const base = { containment_id: 'ctn_1', connector: step.connector };
    switch (step.action) {
      case 'snapshot':
        return { type: 'RecordSnapshot', data: { ...base, items: [...held.values()] }, metadata: meta };
      case 'revoke':
        step.items.forEach((i) => held.delete(accessItemKey(i)));
        return { type: 'RecordRevocation', data: { ...base, items: [...step.items] }, metadata: meta };
      case 'restore':
        step.items.forEach((i) => held.set(accessItemKey(i), i));
        return { type: 'RecordRestore', data: { ...base, items: [...step.items] }, metadata: meta };
    }
  }
}

/** Runs until there is nothing left to do, or until `crashAfterCalls` calls (the last one unrecorded). */
function run(ledger: ContainmentEvent[], world: World, crashAfterCalls = Infinity): void {
  for (;;) {
    const steps = pendingWork(stateOf(ledger)).steps;
    if (steps.length === 0) return;
    for (const step of steps) {
      const outcome = world.perform(step);
      if (world.calls >= crashAfterCalls) return;
      ledger.push(...containmentDecider.decide(outcome, stateOf(ledger)));
    }
  }
}

describe('resuming after a crash', () => {
  const initial = { [PG]: pgItems, [KAFKA]: kafkaItems };
  const rollback: ContainmentCommand = {
    type: 'RollbackContainment',
    data: { containment_id: 'ctn_1', reason: 'incident closed', requested_by: 'user:bob' },
    metadata: meta,
  };

  function containAndRollBack(crashAt: number) {
    const world = new World(initial);
    const ledger: ContainmentEvent[] = [...containmentDecider.decide(containPrincipal(), stateOf([]))];
    run(ledger, world, crashAt);
    run(ledger, world); // restart: fold the ledger, carry on
    const afterContainment = { status: stateOf(ledger).status, pg: world.holdings(PG), kafka: world.holdings(KAFKA) };
    ledger.push(...containmentDecider.decide(rollback, stateOf(ledger)));
    run(ledger, world, world.calls + crashAt);
    run(ledger, world);
    return { afterContainment, final: { status: stateOf(ledger).status, pg: world.holdings(PG), kafka: world.holdings(KAFKA) } };
  }

  it.each([1, 2, 3, 4, 5])('contains and restores exactly, whatever call %i was interrupted', (crashAt) => {
    const { afterContainment, final } = containAndRollBack(crashAt);
    expect(afterContainment).toEqual({ status: 'contained', pg: [], kafka: [] });
    expect(final).toEqual({
      status: 'rolled_back',
      pg: pgItems.map(accessItemKey).sort(),
      kafka: kafkaItems.map(accessItemKey).sort(),
    });
  });
});
