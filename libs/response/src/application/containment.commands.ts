import type { ContainmentCommand } from '../containment/containment.commands.js';
import type { ContainmentEvent } from '../containment/containment.events.js';
import type { ContainmentState } from '../containment/containment.state.js';

/** The one @nestjs/cqrs command: a decider command addressed to a containment stream. */
export class ExecuteContainmentCommand {
  constructor(
    readonly tenant: string,
    readonly principal: string,
    readonly command: ContainmentCommand,
    /** Checked under the principal's lock, before deciding (e.g. "no other active containment"). */
    readonly precondition?: () => Promise<void>,
  ) {}
}

export interface ContainmentCommandResult {
  events: ContainmentEvent[];
  state: ContainmentState;
}

/** Published after an append, for projections and the process manager. */
export class ContainmentEventsRecorded {
  constructor(
    readonly tenant: string,
    readonly containmentId: string,
    readonly events: ContainmentEvent[],
  ) {}
}
