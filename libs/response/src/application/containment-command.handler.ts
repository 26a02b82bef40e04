import { Inject } from '@nestjs/common';
import { CommandHandler, EventBus, type ICommandHandler } from '@nestjs/cqrs';
import { KeyedMutex } from '@warden/common';
import { containmentDecider } from '../containment/containment.decider.js';
import { foldEvents } from '../decider/decider.js';
import { ResponseLedger } from '../ledger/response-ledger.js';
import { type ContainmentCommandResult, ContainmentEventsRecorded, ExecuteContainmentCommand } from './containment.commands.js';
import { RESPONSE_LEDGER } from './response.di-tokens.js';

/** Commands for one principal are applied one at a time, process-wide. */
export const PRINCIPAL_LOCK = new KeyedMutex();
export const principalKey = (tenant: string, principal: string) => `${tenant}\u0000${principal}`;

/** Thin shell: load the stream, decide, append at the expected version, publish. */
@CommandHandler(ExecuteContainmentCommand)
export class ContainmentCommandHandler implements ICommandHandler<ExecuteContainmentCommand, ContainmentCommandResult> {
  constructor(
    @Inject(RESPONSE_LEDGER) private readonly ledger: ResponseLedger,
    @Inject(EventBus) private readonly eventBus: EventBus,
  ) {}

  execute({ tenant, principal, command, precondition }: ExecuteContainmentCommand): Promise<ContainmentCommandResult> {
    return PRINCIPAL_LOCK.run(principalKey(tenant, principal), async () => {
      await precondition?.();
      const id = command.data.containment_id;
      const stream = await this.ledger.read(tenant, id);
      const state = foldEvents(containmentDecider, stream.events);
      const events = containmentDecider.decide(command, state);
      await this.ledger.append(tenant, id, principal, stream.version, events);
      if (events.length > 0) this.eventBus.publish(new ContainmentEventsRecorded(tenant, id, events));
      return { events, state: events.reduce(containmentDecider.evolve, state) };
    });
  }
}
