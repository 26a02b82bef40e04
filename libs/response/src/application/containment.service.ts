import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { DomainError } from '@warden/common';
import { WARDEN_CONFIG, type WardenConfig } from '@warden/config';
import { describeConnectorFailure } from '@warden/connectors';
import { LOGGER, type Logger } from '@warden/telemetry';
import type { AccessItem } from '../containment/access-item.js';
import type { ConnectorSelection, ContainmentCommand } from '../containment/containment.commands.js';
import { containmentDecider } from '../containment/containment.decider.js';
import { ContainmentNotFoundError } from '../containment/containment.errors.js';
import { type ContainmentEvent, containmentEventSchema } from '../containment/containment.events.js';
import { pendingWork } from '../containment/containment.pending-work.js';
import type { ContainmentState, ExistingContainment } from '../containment/containment.state.js';
import { containmentIdFor } from '../containment/containment-id.js';
import { foldEvents } from '../decider/decider.js';
import type { ResponseLedger } from '../ledger/response-ledger.js';
import type { ConnectorRegistry } from './connector-registry.js';
import { ContainmentRunner } from './containment.runner.js';
import { type ContainmentCommandResult, ExecuteContainmentCommand } from './containment.commands.js';
import { CONNECTOR_REGISTRY, RESPONSE_LEDGER } from './response.di-tokens.js';

const ACTIVE = new Set(['pending', 'contained', 'partial', 'rolling_back']);

export class PrincipalAlreadyContainedError extends DomainError {
  readonly code = 'CONTAINMENT.PRINCIPAL_ALREADY_CONTAINED';
  constructor(readonly containmentId: string) {
    super(`the principal is already under containment ${containmentId}; roll it back before containing again`, { containmentId });
  }
}

export interface ContainRequest {
  tenant: string;
  principal: string;
  reason: string;
  incident_id?: string;
  requested_by: string;
  idempotency_key: string;
  connectors?: ConnectorSelection;
}

export interface ContainmentView {
  containment_id: string;
  tenant: string;
  principal: string;
  status: ContainmentState['status'];
  reason: string;
  incident_id: string | null;
  requested_by: string;
  requested_at: string;
  rollback: { reason: string; requested_by: string; requested_at: string } | null;
  connectors: {
    connector: string;
    stage: string;
    snapshot: readonly AccessItem[] | null;
    revoked: number;
    restored: number;
    failed_attempts: number;
    last_error: { code: string; message: string } | null;
  }[];
  blocked: { connector: string; stage: string; attempts: number }[];
}

export function toView(state: ExistingContainment): ContainmentView {
  const r = state.request;
  return {
    containment_id: r.containmentId,
    tenant: r.tenant,
    principal: r.principal,
    status: state.status,
    reason: r.reason,
    incident_id: r.incidentId,
    requested_by: r.requestedBy,
    requested_at: r.requestedAt,
    rollback: state.rollback ? { reason: state.rollback.reason, requested_by: state.rollback.requestedBy, requested_at: state.rollback.requestedAt } : null,
    connectors: state.connectors.map((c) => ({
      connector: c.connector,
      stage: c.stage,
      snapshot: c.snapshot,
      revoked: c.revoked.length,
      restored: c.restored.length,
      failed_attempts: c.failedAttempts,
      last_error: c.lastError,
    })),
    blocked: pendingWork(state).blocked.map((b) => ({ connector: b.connector, stage: b.stage, attempts: b.attempts })),
  };
}

/**
 * The responder's use cases: contain (or preview), roll back, retry, read.
 * Commands go through the CQRS command bus to the one handler; the runner
 * then drives connector calls. Unfinished containments are resumed at start
 * and partial ones retried periodically, so one that waits on a connector
 * that was down completes when it is back.
 */
@Injectable()
export class ContainmentService implements OnApplicationBootstrap, OnApplicationShutdown {
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(RESPONSE_LEDGER) private readonly ledger: ResponseLedger,
    @Inject(CONNECTOR_REGISTRY) private readonly connectors: ConnectorRegistry,
    @Inject(ContainmentRunner) private readonly runner: ContainmentRunner,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const resumed = await this.sweep(['pending', 'rolling_back']);
    if (resumed > 0) this.logger.info({ resumed }, 'resumed unfinished containments');
    this.sweepTimer = setInterval(() => void this.retryUnsettled(), this.config.response.retryIntervalMs);
    this.sweepTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.connectors.close();
  }

  /** Records intent (ContainmentRequested) before any connector is called, then drives it in the background. */
  async contain(request: ContainRequest): Promise<{ containment: ContainmentView; created: boolean }> {
    const id = containmentIdFor(request.tenant, request.idempotency_key);
    const command: ContainmentCommand = {
      type: 'ContainPrincipal',
      data: {
        containment_id: id,
        tenant: request.tenant,
        principal: request.principal,
        reason: request.reason,
        incident_id: request.incident_id,
        requested_by: request.requested_by,
        idempotency_key: request.idempotency_key,
        connectors: request.connectors ?? 'all',
        configured_connectors: this.connectors.names(),
      },
      metadata: { now: new Date().toISOString(), correlationId: id, causationId: `request:${request.idempotency_key}`, actor: request.requested_by },
    };
    const result = await this.execute(request.tenant, request.principal, command, async () => {
      const active = await this.activeFor(request.tenant, request.principal);
      if (active && active !== id) throw new PrincipalAlreadyContainedError(active);
    });
    const state = result.state as ExistingContainment;
    if (result.events.length > 0) this.start(state);
    return { containment: toView(state), created: result.events.length > 0 };
  }

  /** What a containment would revoke, connector by connector, without revoking anything. */
  async preview(tenant: string, principal: string, selection: ConnectorSelection = 'all'): Promise<{ connector: string; items?: AccessItem[]; error?: { code: string; message: string } }[]> {
    const names = selection === 'all' ? this.connectors.names() : selection;
    return Promise.all(
      names.map(async (name) => {
        const connector = this.connectors.get(name);
        if (!connector) return { connector: name, error: { code: 'CONNECTOR.NOT_CONFIGURED', message: `no connector named "${name}"` } };
        try {
          return { connector: name, items: (await connector.snapshot({ tenant, id: principal })) as AccessItem[] };
        } catch (error) {
          const f = describeConnectorFailure(error);
          return { connector: name, error: { code: f.code, message: f.message } };
        }
      }),
    );
  }

  async rollback(tenant: string, containmentId: string, reason: string, requestedBy: string): Promise<ContainmentView> {
    const state = await this.load(tenant, containmentId);
    const result = await this.execute(tenant, state.request.principal, {
      type: 'RollbackContainment',
      data: { containment_id: containmentId, reason, requested_by: requestedBy },
      metadata: { now: new Date().toISOString(), correlationId: containmentId, causationId: `rollback:${requestedBy}`, actor: requestedBy },
    });
    const next = result.state as ExistingContainment;
    this.start(next);
    return toView(next);
  }

  async retry(tenant: string, containmentId: string, reason: string, requestedBy: string): Promise<ContainmentView> {
    const state = await this.load(tenant, containmentId);
    const principal = state.request.principal;
    const command: ContainmentCommand = {
      type: 'RetryConnectors',
      data: { containment_id: containmentId, connectors: 'all', reason, requested_by: requestedBy },
      metadata: { now: new Date().toISOString(), correlationId: containmentId, causationId: `retry:${requestedBy}`, actor: requestedBy },
    };
    // A failed containment is not active, so the principal may have been contained
    // again since; retrying the old one then would make two active at once.
    const result = await this.execute(tenant, principal, command, async () => {
      const active = await this.activeFor(tenant, principal);
      if (active && active !== containmentId) throw new PrincipalAlreadyContainedError(active);
    });
    const next = result.state as ExistingContainment;
    this.start(next);
    return toView(next);
  }

  async get(tenant: string, containmentId: string): Promise<{ containment: ContainmentView; timeline: ContainmentEvent[] }> {
    const stream = await this.ledger.read(tenant, containmentId);
    if (stream.version === 0) throw new ContainmentNotFoundError(containmentId);
    return { containment: toView(foldEvents(containmentDecider, stream.events) as ExistingContainment), timeline: stream.events };
  }

  async list(tenant: string, principal?: string): Promise<ContainmentView[]> {
    const views: ContainmentView[] = [];
    for (const s of await this.ledger.readStreams('containment', containmentEventSchema, { tenant, principal })) {
      const state = foldEvents(containmentDecider, s.events);
      if (state.status !== 'none') views.push(toView(state));
    }
    return views;
  }

  /** Waits until every containment being driven has come to rest (tests, shutdown). */
  settle(): Promise<void> {
    return this.runner.idle();
  }

  private async activeFor(tenant: string, principal: string): Promise<string | null> {
    for (const view of await this.list(tenant, principal)) if (ACTIVE.has(view.status)) return view.containment_id;
    return null;
  }

  private async load(tenant: string, containmentId: string): Promise<ExistingContainment> {
    const stream = await this.ledger.read(tenant, containmentId);
    const state = foldEvents(containmentDecider, stream.events);
    if (state.status === 'none') throw new ContainmentNotFoundError(containmentId);
    return state;
  }

  private execute(tenant: string, principal: string, command: ContainmentCommand, precondition?: () => Promise<void>): Promise<ContainmentCommandResult> {
    return this.commands.execute<ExecuteContainmentCommand, ContainmentCommandResult>(new ExecuteContainmentCommand(tenant, principal, command, precondition));
  }

  private start(state: ExistingContainment): void {
    this.runner.drive(state).catch((error: unknown) => {
      this.logger.error({ containment_id: state.request.containmentId, err: error }, 'driving a containment failed; it will be resumed');
    });
  }

  private async sweep(statuses: string[]): Promise<number> {
    let n = 0;
    for (const s of await this.ledger.readStreams('containment', containmentEventSchema)) {
      const state = foldEvents(containmentDecider, s.events);
      if (state.status !== 'none' && statuses.includes(state.status)) {
        this.start(state);
        n++;
      }
    }
    return n;
  }

  /**
   * On a timer, so that no containment is left waiting for a restart:
   * - partial and failed ones are retried: a connector that was down gets its
   *   turn when it is back. A failed one is the same situation with a single
   *   connector (or all of them down), e.g. a revoke that a lock held longer
   *   than its attempts allowed;
   * - a rollback whose restores failed for good is retried likewise;
   * - pending and rolling-back ones that still have steps to do are driven
   *   again if nothing drives them (their run ended on an error, such as the
   *   ledger being briefly unavailable); the runner ignores those it is
   *   already driving.
   */
  private async retryUnsettled(): Promise<void> {
    try {
      for (const s of await this.ledger.readStreams('containment', containmentEventSchema)) {
        const state = foldEvents(containmentDecider, s.events);
        if (state.status === 'none') continue;
        const stepsLeft = pendingWork(state).steps.length > 0;
        if ((state.status === 'pending' || state.status === 'rolling_back') && stepsLeft) {
          this.start(state);
        } else if (state.status === 'partial' || state.status === 'failed' || state.status === 'rolling_back') {
          await this.retry(s.tenant, s.stream_id, 'automatic retry of failed connectors', 'warden:response').catch(() => undefined);
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'retrying unsettled containments failed');
    }
  }
}
