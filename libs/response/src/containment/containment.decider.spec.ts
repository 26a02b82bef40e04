import { describe, expect, it } from 'vitest';
import { DeciderSpecification } from '../testing/decider-specification.js';
import {
  ID,
  KAFKA,
  PG,
  accessRevoked,
  accessSnapshotted,
  containPrincipal,
  containedHistory,
  containmentCompleted,
  containmentRequested,
  connectorsRetryRequested,
  kafkaItems,
  login,
  pgItems,
  recordRevocation,
  recordRevocationFailure,
  recordSnapshot,
  recordSnapshotFailure,
  recorded,
  retryConnectors,
  revocationFailed,
  snapshotFailed,
  tableGrant,
} from '../testing/containment.fixtures.js';
import { containPrincipalSchema } from './containment.commands.js';
import { containmentDecider, MAX_ATTEMPTS_PER_STEP } from './containment.decider.js';
import { containmentEventSchema } from './containment.events.js';
import { containmentIdFor } from './containment-id.js';

const spec = DeciderSpecification.for(containmentDecider, {
  validateEvent: (e) => containmentEventSchema.parse(e),
});

describe('ContainPrincipal', () => {
  it('records the intent, with "all" resolved to the connectors configured now', () => {
    spec.given([]).when(containPrincipal()).then([containmentRequested([PG, KAFKA])]);
  });

  it('records an explicit selection once per connector, in the order asked', () => {
    spec
      .given([])
      .when(containPrincipal({ connectors: [KAFKA, PG, KAFKA] }))
      .then([containmentRequested([KAFKA, PG])]);
  });

  it('keeps the incident the containment belongs to', () => {
    const expected = containmentRequested([PG]);
    expected.data.incident_id = 'inc-9';
    spec.given([]).when(containPrincipal({ connectors: [PG], incident_id: 'inc-9' })).then([expected]);
  });

  it('refuses a connector that is not configured', () => {
    spec.given([]).when(containPrincipal({ connectors: [PG, 'scim'] })).thenThrows('CONTAINMENT.UNKNOWN_CONNECTOR');
  });

  it('refuses when no connector is configured', () => {
    spec.given([]).when(containPrincipal({ configured_connectors: [] })).thenThrows('CONTAINMENT.NO_CONNECTORS');
  });

  it('changes nothing when repeated with the same idempotency key, pending or done', () => {
    spec.given([containmentRequested()]).when(containPrincipal()).thenNothingHappened();
    spec.given(containedHistory()).when(containPrincipal({ reason: 'worded differently' })).thenNothingHappened();
  });

  it('refuses the same idempotency key aimed at another principal', () => {
    spec
      .given([containmentRequested()])
      .when(containPrincipal({ principal: 'agent-8' }))
      .thenThrows('CONTAINMENT.IDEMPOTENCY_KEY_REUSED');
  });

  it('refuses a second request with another key on the same containment', () => {
    spec
      .given([containmentRequested()])
      .when(containPrincipal({ idempotency_key: 'key-2' }))
      .thenThrows('CONTAINMENT.ALREADY_REQUESTED');
  });

  it('defaults the selection to all connectors when the command is parsed', () => {
    const parsed = containPrincipalSchema.parse({
      type: 'ContainPrincipal',
      data: { ...containPrincipal().data, connectors: undefined },
      metadata: containPrincipal().metadata,
    });
    expect(parsed.data.connectors).toBe('all');
  });

  it('derives one containment id per tenant and idempotency key', () => {
    expect(containmentIdFor('acme', 'key-1')).toBe(containmentIdFor('acme', 'key-1'));
    expect(containmentIdFor('acme', 'key-1')).not.toBe(containmentIdFor('acme', 'key-2'));
    expect(containmentIdFor('acme', 'key-1')).not.toBe(containmentIdFor('globex', 'key-1'));
    expect(containmentIdFor('acme', 'key-1')).toMatch(/^ctn_[0-9a-f]{32}$/);
  });
});

describe('RecordSnapshot', () => {
  it('records what the principal holds on a connector', () => {
    spec.given([containmentRequested()]).when(recordSnapshot(PG, pgItems)).then([accessSnapshotted(PG, pgItems)]);
  });

  it('records an empty snapshot: holding nothing is a fact too', () => {
    spec.given([containmentRequested()]).when(recordSnapshot(PG, [])).then([accessSnapshotted(PG, [])]);
  });

  it('changes nothing when the same snapshot is reported again, in any order', () => {
    spec
      .given([containmentRequested(), accessSnapshotted(PG, pgItems)])
      .when(recordSnapshot(PG, [...pgItems].reverse()))
      .thenNothingHappened();
  });

  it('never replaces a snapshot: one taken after revocation would make rollback restore nothing', () => {
    spec
      .given([containmentRequested(), accessSnapshotted(PG, pgItems), accessRevoked(PG, pgItems)])
      .when(recordSnapshot(PG, []))
      .thenThrows('CONTAINMENT.SNAPSHOT_ALREADY_TAKEN');
  });

  it('refuses a snapshot listing the same item twice', () => {
    spec
      .given([containmentRequested()])
      .when(recordSnapshot(PG, [login, tableGrant('orders'), { ...tableGrant('orders') }]))
      .thenThrows('CONTAINMENT.DUPLICATE_ITEMS');
  });

  it('refuses a connector the containment does not use', () => {
    spec.given([containmentRequested([PG])]).when(recordSnapshot(KAFKA, kafkaItems)).thenThrows('CONTAINMENT.UNKNOWN_CONNECTOR');
  });

  it('refuses outcomes for a containment that was never requested', () => {
    spec.given([]).when(recordSnapshot(PG, pgItems)).thenThrows('CONTAINMENT.NOT_FOUND');
  });
});

describe('RecordRevocation', () => {
  it('cannot revoke before the snapshot is recorded', () => {
    spec.given([containmentRequested()]).when(recordRevocation(PG, [])).thenThrows('CONTAINMENT.SNAPSHOT_REQUIRED');
  });

  it('records the revocation; the containment stays pending while another connector is at work', () => {
    spec
      .given([containmentRequested(), accessSnapshotted(PG, pgItems)])
      .when(recordRevocation(PG, pgItems))
      .then([accessRevoked(PG, pgItems)]);
  });

  it('completes the containment when the last connector is revoked', () => {
    spec
      .given([
        containmentRequested(),
        accessSnapshotted(PG, pgItems),
        accessSnapshotted(KAFKA, kafkaItems),
        accessRevoked(PG, pgItems),
      ])
      .when(recordRevocation(KAFKA, kafkaItems))
      .then([accessRevoked(KAFKA, kafkaItems), containmentCompleted('contained', [PG, KAFKA], [])]);
  });

  it('refuses to record revoking anything that is not in the snapshot', () => {
    spec
      .given([containmentRequested(), accessSnapshotted(PG, pgItems)])
      .when(recordRevocation(PG, [...pgItems, tableGrant('payroll')]))
      .thenThrows('CONTAINMENT.ITEM_NOT_IN_SNAPSHOT');
  });

  it('tracks a revocation reported in parts, and completes with the last part', () => {
    const [first, ...rest] = pgItems;
    spec
      .given([containmentRequested([PG]), accessSnapshotted(PG, pgItems)])
      .when(recordRevocation(PG, [first]))
      .then([accessRevoked(PG, [first])]);
    spec
      .given([containmentRequested([PG]), accessSnapshotted(PG, pgItems), accessRevoked(PG, [first])])
      .when(recordRevocation(PG, pgItems))
      .then([accessRevoked(PG, rest), containmentCompleted('contained', [PG], [])]);
  });

  it('changes nothing when a revocation is reported again', () => {
    const [first] = pgItems;
    spec.given(containedHistory()).when(recordRevocation(PG, pgItems)).thenNothingHappened();
    spec
      .given([containmentRequested([PG]), accessSnapshotted(PG, pgItems), accessRevoked(PG, [first])])
      .when(recordRevocation(PG, [first]))
      .thenNothingHappened();
  });

  it('completes a connector whose snapshot was empty once its revocation is recorded', () => {
    spec
      .given([containmentRequested([PG]), accessSnapshotted(PG, [])])
      .when(recordRevocation(PG, []))
      .then([accessRevoked(PG, []), containmentCompleted('contained', [PG], [])]);
  });
});

describe('failures', () => {
  const snapshotted = [containmentRequested([PG]), accessSnapshotted(PG, pgItems)];

  it('keeps a retriable revocation failure pending, counting the attempt', () => {
    spec
      .given(snapshotted)
      .when(recordRevocationFailure(PG, true))
      .then([revocationFailed(PG, { retriable: true, attempt: 1, will_retry: true })]);
  });

  it(`gives up after ${MAX_ATTEMPTS_PER_STEP} retriable failures and settles the containment as failed`, () => {
    spec
      .given([
        ...snapshotted,
        revocationFailed(PG, { retriable: true, attempt: 1, will_retry: true }),
        revocationFailed(PG, { retriable: true, attempt: 2, will_retry: true }),
      ])
      .when(recordRevocationFailure(PG, true))
      .then([revocationFailed(PG, { retriable: true, attempt: 3, will_retry: false }), containmentCompleted('failed', [], [PG])]);
  });

  it('settles as partial when one connector is revoked and the other failed for good', () => {
    spec
      .given([
        containmentRequested(),
        accessSnapshotted(PG, pgItems),
        accessSnapshotted(KAFKA, kafkaItems),
        accessRevoked(PG, pgItems),
      ])
      .when(recordRevocationFailure(KAFKA, false))
      .then([revocationFailed(KAFKA, { retriable: false, attempt: 1, will_retry: false }), containmentCompleted('partial', [PG], [KAFKA])]);
  });

  it('settles when a snapshot fails for good: nothing is revoked where nothing was recorded', () => {
    spec
      .given([containmentRequested(), accessSnapshotted(PG, pgItems), accessRevoked(PG, pgItems)])
      .when(recordSnapshotFailure(KAFKA, false))
      .then([snapshotFailed(KAFKA, { retriable: false, attempt: 1, will_retry: false }), containmentCompleted('partial', [PG], [KAFKA])]);
  });

  it('refuses a failure for a step that is not under way', () => {
    spec.given(containedHistory()).when(recordRevocationFailure(PG, true)).thenThrows('CONTAINMENT.UNEXPECTED_STEP');
    spec.given(snapshotted).when(recordSnapshotFailure(PG, true)).thenThrows('CONTAINMENT.UNEXPECTED_STEP');
    spec.given([containmentRequested()]).when(recordRevocationFailure(PG, true)).thenThrows('CONTAINMENT.SNAPSHOT_REQUIRED');
  });
});

describe('RetryConnectors', () => {
  const partial = [
    containmentRequested(),
    accessSnapshotted(PG, pgItems),
    accessSnapshotted(KAFKA, kafkaItems),
    accessRevoked(PG, pgItems),
    revocationFailed(KAFKA, { retriable: false, attempt: 1, will_retry: false }),
    containmentCompleted('partial', [PG], [KAFKA]),
  ];

  it('puts the connectors that failed for good back to work', () => {
    spec.given(partial).when(retryConnectors()).then([connectorsRetryRequested([KAFKA])]);
    spec.given(partial).when(retryConnectors([KAFKA])).then([connectorsRetryRequested([KAFKA])]);
  });

  it('completes the containment when the retried connector succeeds', () => {
    spec
      .given([...partial, connectorsRetryRequested([KAFKA])])
      .when(recordRevocation(KAFKA, kafkaItems))
      .then([accessRevoked(KAFKA, kafkaItems), containmentCompleted('contained', [PG, KAFKA], [])]);
  });

  it('counts attempts afresh after an operator retries', () => {
    spec
      .given([...partial, connectorsRetryRequested([KAFKA])])
      .when(recordRevocationFailure(KAFKA, true))
      .then([revocationFailed(KAFKA, { retriable: true, attempt: 1, will_retry: true })]);
  });

  it('refuses when nothing failed, or when the named connector did not fail', () => {
    spec.given(containedHistory()).when(retryConnectors()).thenThrows('CONTAINMENT.NOTHING_TO_RETRY');
    spec.given(partial).when(retryConnectors([PG])).thenThrows('CONTAINMENT.NOTHING_TO_RETRY');
    spec.given(partial).when(retryConnectors(['scim'])).thenThrows('CONTAINMENT.UNKNOWN_CONNECTOR');
  });
});

describe('events', () => {
  it('carry who, when and in which flow, from the command metadata', () => {
    const [event] = containmentDecider.decide(containPrincipal(), containmentDecider.initialState());
    expect(event.metadata).toEqual(recorded);
    expect(event.data.containment_id).toBe(ID);
  });

  it('carry the failure as the connector reported it', () => {
    const [event] = containmentDecider.decide(
      recordSnapshotFailure(PG, false, { code: 'CONNECTOR.REJECTED', message: 'permission denied' }),
      [containmentRequested()].reduce(containmentDecider.evolve, containmentDecider.initialState()),
    );
    expect(event).toEqual(
      snapshotFailed(PG, { retriable: false, attempt: 1, will_retry: false, error: { code: 'CONNECTOR.REJECTED', message: 'permission denied' } }),
    );
  });
});
