import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { backoffDelay } from '@warden/common';
import { type PrincipalRef, describeConnectorFailure } from '@warden/connectors';
import { metrics } from '@opentelemetry/api';
import { LOGGER, type Logger, inSpan } from '@warden/telemetry';
import type { AccessItem } from '../containment/access-item.js';
import type { ContainmentCommand } from '../containment/containment.commands.js';
import { type PendingStep, pendingWork } from '../containment/containment.pending-work.js';
import type { ContainmentState, ExistingContainment } from '../containment/containment.state.js';
import type { ConnectorRegistry } from './connector-registry.js';
import { type ContainmentCommandResult, ExecuteContainmentCommand } from './containment.commands.js';
import { CONNECTOR_REGISTRY } from './response.di-tokens.js';

const PROCESS_ACTOR = 'warden:response';

/**
 * The process manager: given a containment's state, it makes the connector
 * calls pendingWork() asks for and records each outcome back through the
 * decider, until nothing is left to do. Everything it needs is in the ledger,
 * so after a crash it is simply run again on every unfinished containment.
 */
@Injectable()
export class ContainmentRunner {
  private readonly running = new Map<string, Promise<ContainmentState>>();
  private readonly stepDuration = metrics
    .getMeter('warden')
    .createHistogram('warden.containment.step.duration.seconds', { unit: 's', advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] }, description: 'Connector calls of containments and rollbacks, by connector, action and outcome' });

  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(CONNECTOR_REGISTRY) private readonly connectors: ConnectorRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Drives one containment to rest; concurrent calls for the same containment share one run. */
  drive(state: ExistingContainment): Promise<ContainmentState> {
    const id = state.request.containmentId;
    const existing = this.running.get(id);
    if (existing) return existing;
    const run = this.loop(state).finally(() => this.running.delete(id));
    this.running.set(id, run);
    return run;
  }

  /** Resolves once every containment being driven has come to rest. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private async loop(initial: ExistingContainment): Promise<ContainmentState> {
    let state: ContainmentState = initial;
    for (;;) {
      const work = pendingWork(state);
      if (work.steps.length === 0 || state.status === 'none') return state;
      const retries = work.steps.filter((s) => s.attempt > 1);
      if (retries.length > 0) {
        const delay = Math.max(...retries.map((s) => backoffDelay(s.attempt - 1, { initialMs: 200, maxMs: 5000 })));
        await new Promise((r) => setTimeout(r, delay));
      }
      const current: ExistingContainment = state;
      const outcomes = await Promise.all(work.steps.map((step) => this.timed(current, step)));
      for (const commands of outcomes) {
        for (const command of commands) {
          const result = await this.commands.execute<ExecuteContainmentCommand, ContainmentCommandResult>(
            new ExecuteContainmentCommand(current.request.tenant, current.request.principal, command),
          );
          state = result.state;
        }
      }
    }
  }

  private timed(state: ExistingContainment, step: PendingStep): Promise<ContainmentCommand[]> {
    const attributes = { connector: step.connector, action: step.action };
    return inSpan(`connector.${step.action}`, { ...attributes, 'warden.containment_id': state.request.containmentId, 'warden.attempt': step.attempt }, async () => {
      const started = performance.now();
      const commands = await this.perform(state, step);
      const outcome = commands.some((c) => c.type.endsWith('Failure')) ? 'failure' : 'success';
      this.stepDuration.record((performance.now() - started) / 1000, { ...attributes, outcome });
      return commands;
    });
  }

  /** One connector call, turned into the commands that record its outcome. Never throws. */
  private async perform(state: ExistingContainment, step: PendingStep): Promise<ContainmentCommand[]> {
    const containment_id = state.request.containmentId;
    const principal: PrincipalRef = { tenant: state.request.tenant, id: state.request.principal };
    const metadata = {
      now: new Date().toISOString(),
      correlationId: containment_id,
      causationId: `${containment_id}:${step.connector}:${step.action}:${step.attempt}`,
      actor: PROCESS_ACTOR,
    };
    const connector = this.connectors.get(step.connector);
    const failure = (type: 'RecordSnapshotFailure' | 'RecordRevocationFailure' | 'RecordRestoreFailure', error: unknown): ContainmentCommand => {
      const f = describeConnectorFailure(error);
      this.logger.warn({ containment_id, connector: step.connector, action: step.action, attempt: step.attempt, code: f.code }, 'connector step failed');
      return { type, data: { containment_id, connector: step.connector, error: { code: f.code, message: f.message }, retriable: f.retriable }, metadata };
    };
    const missing = { code: 'CONNECTOR.NOT_CONFIGURED', message: `connector "${step.connector}" is not configured any more` };
    try {
      if (!connector) throw Object.assign(new Error(missing.message), missing);
      switch (step.action) {
        case 'snapshot': {
          const items = (await connector.snapshot(principal)) as AccessItem[];
          return [{ type: 'RecordSnapshot', data: { containment_id, connector: step.connector, items }, metadata }];
        }
        case 'revoke': {
          const change = await connector.revoke(principal, step.items);
          const out: ContainmentCommand[] = [];
          if (change.applied.length > 0) out.push({ type: 'RecordRevocation', data: { containment_id, connector: step.connector, items: change.applied as AccessItem[] }, metadata });
          if (change.failed.length > 0) out.push(failure('RecordRevocationFailure', itemFailures(change.failed)));
          if (out.length === 0) out.push({ type: 'RecordRevocation', data: { containment_id, connector: step.connector, items: [] }, metadata });
          return out;
        }
        case 'restore': {
          const change = await connector.restore(principal, step.items);
          const out: ContainmentCommand[] = [];
          if (change.applied.length > 0) out.push({ type: 'RecordRestore', data: { containment_id, connector: step.connector, items: change.applied as AccessItem[] }, metadata });
          if (change.failed.length > 0) out.push(failure('RecordRestoreFailure', itemFailures(change.failed)));
          if (out.length === 0) out.push({ type: 'RecordRestore', data: { containment_id, connector: step.connector, items: [] }, metadata });
          return out;
        }
      }
    } catch (error) {
      const type = step.action === 'snapshot' ? 'RecordSnapshotFailure' : step.action === 'revoke' ? 'RecordRevocationFailure' : 'RecordRestoreFailure';
      return [failure(type, error)];
    }
  }
}

/** Items the target refused: not retriable as such (the same statement would be refused again). */
function itemFailures(failed: readonly { item: AccessItem; error: { code: string; message: string } }[]): Error {
  const first = failed[0];
  return Object.assign(new Error(`${failed.length} item(s) refused; first: ${first.error.message}`), { code: first.error.code });
}
