import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { KeyedMutex } from '@warden/common';
import { foldEvents } from '../decider/decider.js';
import { ResponseLedger } from '../ledger/response-ledger.js';
import type { PermissionChangeRevertCommand } from '../permission-change-revert/permission-change-revert.commands.js';
import { permissionChangeRevertDecider } from '../permission-change-revert/permission-change-revert.decider.js';
import {
  type PermissionChangeRevertEvent,
  permissionChangeRevertEventSchema,
} from '../permission-change-revert/permission-change-revert.events.js';
import type { RevertState } from '../permission-change-revert/permission-change-revert.state.js';
import { RESPONSE_LEDGER } from './response.di-tokens.js';

/** A revert decider command addressed to its stream (`principal` is the reverted event's, for the ledger's principal column). */
export class ExecuteRevertCommand {
  constructor(
    readonly tenant: string,
    readonly principal: string,
    readonly command: PermissionChangeRevertCommand,
  ) {}
}

export interface RevertCommandResult {
  events: PermissionChangeRevertEvent[];
  state: RevertState;
}

/** Published after an append, for projections. */
export class PermissionChangeRevertEventsRecorded {
  constructor(
    readonly tenant: string,
    readonly revertId: string,
    readonly events: PermissionChangeRevertEvent[],
  ) {}
}

/** Commands for one revert are applied one at a time in this process; the expected version guards across processes. */
const REVERT_LOCK = new KeyedMutex();

/** Thin shell: load the stream, decide, append at the expected version, publish. */
@CommandHandler(ExecuteRevertCommand)
export class PermissionChangeRevertCommandHandler implements ICommandHandler<ExecuteRevertCommand, RevertCommandResult> {
  constructor(
    @Inject(RESPONSE_LEDGER) private readonly ledger: ResponseLedger,
    @Inject(EventBus) private readonly eventBus: EventBus,
  ) {}

  execute({ tenant, principal, command }: ExecuteRevertCommand): Promise<RevertCommandResult> {
    const id = command.data.revert_id;
    return REVERT_LOCK.run(`${tenant}\u0000${id}`, async () => {
      const stream = await this.ledger.readStream('permission_change_revert', tenant, id, permissionChangeRevertEventSchema);
      const state = foldEvents(permissionChangeRevertDecider, stream.events);
      const events = permissionChangeRevertDecider.decide(command, state);
      await this.ledger.appendStream('permission_change_revert', tenant, id, principal, stream.version, events);
      if (events.length > 0) this.eventBus.publish(new PermissionChangeRevertEventsRecorded(tenant, id, events));
      return { events, state: events.reduce(permissionChangeRevertDecider.evolve, state) };
    });
  }
}
