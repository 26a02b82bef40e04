import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { backoffDelay } from '@warden/common';
import { describeConnectorFailure } from '@warden/connectors';
import { AgentActionRepository } from '@warden/storage';
import { LOGGER, type Logger } from '@warden/telemetry';
import type { AccessItem } from '../containment/access-item.js';
import type { StepError } from '../containment/containment.events.js';
import { foldEvents } from '../decider/decider.js';
import type { ResponseLedger } from '../ledger/response-ledger.js';
import type { PermissionChangeRevertCommand, StoredActionFacts } from '../permission-change-revert/permission-change-revert.commands.js';
import { permissionChangeRevertDecider } from '../permission-change-revert/permission-change-revert.decider.js';
import { RevertNotFoundError } from '../permission-change-revert/permission-change-revert.errors.js';
import {
  type PermissionChangeRevertEvent,
  permissionChangeRevertEventSchema,
  type RecordedChange,
} from '../permission-change-revert/permission-change-revert.events.js';
import type { ExistingRevert, RevertState, RevertStatus } from '../permission-change-revert/permission-change-revert.state.js';
import { revertIdFor } from '../permission-change-revert/revert-id.js';
import type { ConnectorRegistry } from './connector-registry.js';
import { ExecuteRevertCommand, type RevertCommandResult } from './permission-change-revert.handler.js';
import { CONNECTOR_REGISTRY, RESPONSE_LEDGER } from './response.di-tokens.js';

const PROCESS_ACTOR = 'warden:response';

export interface PermissionChangeRevertView {
  revert_id: string;
  tenant: string;
  event_id: string;
  status: RevertStatus;
  /** Who made the change being reverted. */
  principal: string;
  change: RecordedChange;
  inverse: 'revoke' | 'grant';
  connector: string;
  reason: string;
  requested_by: string;
  requested_at: string;
  failed_attempts: number;
  last_error: StepError | null;
  /** Once reverted: the grantee's entries on the resource before and after, and those that changed. */
  outcome: { before: readonly AccessItem[]; after: readonly AccessItem[]; changed: readonly AccessItem[]; at: string } | null;
}

export function toRevertView(state: ExistingRevert): PermissionChangeRevertView {
  const r = state.request;
  return {
    revert_id: r.revertId,
    tenant: r.tenant,
    event_id: r.eventId,
    status: state.status,
    principal: r.principal,
    change: r.change,
    inverse: r.inverse,
    connector: r.connector,
    reason: r.reason,
    requested_by: r.requestedBy,
    requested_at: r.requestedAt,
    failed_attempts: state.attempts,
    last_error: state.lastError,
    outcome: state.outcome,
  };
}

/**
 * RevertPermissionChange: apply the inverse of a recorded `permission.grant`
 * (revoke what it gave) or `permission.revoke` (grant back what it took)
 * through the connector that owns the resource, e.g. to close a widening of
 * access the moment it is found. Intent is recorded in the response ledger
 * before the connector is called, attributed to who asked and why; the
 * revert is once per event (asking again changes nothing, or retries one that
 * failed for good); requests left unfinished by a crash are resumed at start.
 */
@Injectable()
export class PermissionChangeService implements OnApplicationBootstrap {
  private readonly running = new Map<string, Promise<RevertState>>();

  constructor(
    @Inject(CommandBus) private readonly commands: CommandBus,
    @Inject(RESPONSE_LEDGER) private readonly ledger: ResponseLedger,
    @Inject(CONNECTOR_REGISTRY) private readonly connectors: ConnectorRegistry,
    @Inject(AgentActionRepository) private readonly actions: AgentActionRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let resumed = 0;
    for (const s of await this.ledger.readStreams('permission_change_revert', permissionChangeRevertEventSchema)) {
      const state = foldEvents(permissionChangeRevertDecider, s.events);
      if (state.status === 'requested') {
        this.start(state);
        resumed++;
      }
    }
    if (resumed > 0) this.logger.info({ resumed }, 'resumed unfinished permission change reverts');
  }

  /**
   * Records the intent to revert the stored event `eventId` and applies it in
   * the background; `created` is false when this repeats an earlier request.
   * Refused (by code) when the event is not stored (PERMISSION_CHANGE.EVENT_NOT_FOUND),
   * is not a successful grant or revoke (NOT_REVERTIBLE), or no single
   * configured connector owns its resource (NO_OWNING_CONNECTOR, AMBIGUOUS_OWNER).
   */
  async revert(tenant: string, eventId: string, reason: string, requestedBy: string): Promise<{ revert: PermissionChangeRevertView; created: boolean }> {
    const revertId = revertIdFor(tenant, eventId);
    const current = await this.load(tenant, revertId);
    let stored: StoredActionFacts | null = null;
    let owners: string[] = [];
    if (current.status === 'none') {
      const found = await this.actions.findById(tenant, eventId);
      if (found) {
        const e = found.event;
        stored = {
          principal: e.principal.id,
          action_type: e.action.type,
          outcome: e.outcome,
          resource: { type: e.resource.type, id: e.resource.id },
          ...(e.permission_change === undefined ? {} : { permission_change: e.permission_change }),
        };
        owners = this.connectors.owners(stored.resource);
      }
    }
    const principal = current.status === 'none' ? (stored?.principal ?? eventId) : current.request.principal;
    const now = new Date().toISOString();
    const result = await this.execute(tenant, principal, {
      type: 'RevertPermissionChange',
      data: { revert_id: revertId, tenant, event_id: eventId, reason, requested_by: requestedBy, stored, owners },
      metadata: { now, correlationId: revertId, causationId: `revert:${eventId}:${requestedBy}`, actor: requestedBy },
    });
    const state = result.state as ExistingRevert;
    if (result.events.length > 0) this.start(state);
    return { revert: toRevertView(state), created: result.events.some((e) => e.type === 'PermissionChangeRevertRequested') };
  }

  /** The revert of an event, with its timeline. */
  async get(tenant: string, eventId: string): Promise<{ revert: PermissionChangeRevertView; timeline: PermissionChangeRevertEvent[] }> {
    const stream = await this.ledger.readStream('permission_change_revert', tenant, revertIdFor(tenant, eventId), permissionChangeRevertEventSchema);
    const state = foldEvents(permissionChangeRevertDecider, stream.events);
    if (state.status === 'none') throw new RevertNotFoundError(eventId);
    return { revert: toRevertView(state), timeline: stream.events };
  }

  /** Reverts of changes made by one principal (or all), newest first. */
  async list(tenant: string, principal?: string): Promise<PermissionChangeRevertView[]> {
    const views: PermissionChangeRevertView[] = [];
    for (const s of await this.ledger.readStreams('permission_change_revert', permissionChangeRevertEventSchema, { tenant, principal })) {
      const state = foldEvents(permissionChangeRevertDecider, s.events);
      if (state.status !== 'none') views.push(toRevertView(state));
    }
    return views;
  }

  /** Resolves once every revert being applied has come to rest (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  private async load(tenant: string, revertId: string): Promise<RevertState> {
    const stream = await this.ledger.readStream('permission_change_revert', tenant, revertId, permissionChangeRevertEventSchema);
    return foldEvents(permissionChangeRevertDecider, stream.events);
  }

  private execute(tenant: string, principal: string, command: PermissionChangeRevertCommand): Promise<RevertCommandResult> {
    return this.commands.execute<ExecuteRevertCommand, RevertCommandResult>(new ExecuteRevertCommand(tenant, principal, command));
  }

  /** Applies a requested revert in the background; one run per revert at a time. */
  private start(state: ExistingRevert): void {
    const id = state.request.revertId;
    if (this.running.has(id)) return;
    const run = this.drive(state)
      .catch((error: unknown) => {
        this.logger.error({ revert_id: id, err: error }, 'applying a permission change revert failed; it will be resumed at the next start');
        return state as RevertState;
      })
      .finally(() => this.running.delete(id));
    this.running.set(id, run);
  }

  private async drive(initial: ExistingRevert): Promise<RevertState> {
    let state: RevertState = initial;
    while (state.status === 'requested') {
      const current: ExistingRevert = state;
      if (current.attempts > 0) await new Promise((r) => setTimeout(r, backoffDelay(current.attempts, { initialMs: 200, maxMs: 5000 })));
      state = (await this.execute(current.request.tenant, current.request.principal, await this.perform(current))).state;
    }
    return state;
  }

  /** One connector call, turned into the command that records its outcome. Never throws. */
  private async perform(state: ExistingRevert): Promise<PermissionChangeRevertCommand> {
    const r = state.request;
    const metadata = {
      now: new Date().toISOString(),
      correlationId: r.revertId,
      causationId: `${r.revertId}:${r.connector}:${state.attempts + 1}`,
      actor: PROCESS_ACTOR,
    };
    const failure = (error: StepError, retriable: boolean): PermissionChangeRevertCommand => {
      this.logger.warn({ revert_id: r.revertId, connector: r.connector, attempt: state.attempts + 1, code: error.code }, 'reverting a permission change failed');
      return { type: 'RecordPermissionChangeRevertFailure', data: { revert_id: r.revertId, connector: r.connector, error, retriable }, metadata };
    };
    const connector = this.connectors.reverter(r.connector);
    if (!connector) {
      return failure({ code: 'CONNECTOR.NOT_CONFIGURED', message: `connector "${r.connector}" is not configured, or cannot revert permission changes` }, false);
    }
    try {
      const change = { resource: r.change.resource, grantee: r.change.grantee, privileges: r.change.privileges };
      const outcome = r.inverse === 'revoke' ? await connector.revertGrant(change) : await connector.regrant(change);
      return {
        type: 'RecordPermissionChangeRevert',
        data: { revert_id: r.revertId, connector: r.connector, before: outcome.before, after: outcome.after, changed: outcome.changed },
        metadata,
      };
    } catch (error) {
      const f = describeConnectorFailure(error);
      return failure({ code: f.code, message: f.message }, f.retriable);
    }
  }
}
