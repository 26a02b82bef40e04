import type { AgentAction } from '@warden/contracts';
import { eventTimeMs } from '../time/event-time.js';
import type { ActionHistoryPort, PriorQuestion } from './action-history.port.js';

/**
 * The port's semantics in a few lines, held in memory. For tests and for
 * checking an adapter against; not for production (unbounded, per process).
 */
export class InMemoryActionHistory implements ActionHistoryPort {
  private readonly times = new Map<string, number[]>();
  /** Every question asked, in order: lets a test see what the engine looked up. */
  readonly queries: PriorQuestion[] = [];
  /** Reads made (a `hasPriorMany` is one, however many questions it asks). */
  reads = 0;

  record(events: Iterable<AgentAction>): this {
    for (const e of events) {
      const key = JSON.stringify([e.tenant, e.principal.id, e.action.type, e.resource.type]);
      const list = this.times.get(key) ?? [];
      list.push(eventTimeMs(e.occurred_at));
      this.times.set(key, list);
    }
    return this;
  }

  async hasPrior(tenant: string, principalId: string, actionType: string, resourceType: string, sinceIso: string, beforeIso: string): Promise<boolean> {
    this.reads++;
    return this.answer({ tenant, principalId, actionType, resourceType, sinceIso, beforeIso });
  }

  async hasPriorMany(questions: readonly PriorQuestion[]): Promise<boolean[]> {
    this.reads++;
    return questions.map((q) => this.answer(q));
  }

  private answer({ tenant, principalId, actionType, resourceType, sinceIso, beforeIso }: PriorQuestion): boolean {
    this.queries.push({ tenant, principalId, actionType, resourceType, sinceIso, beforeIso });
    const since = eventTimeMs(sinceIso);
    const before = eventTimeMs(beforeIso);
    const list = this.times.get(JSON.stringify([tenant, principalId, actionType, resourceType])) ?? [];
    return list.some((t) => t >= since && t < before);
  }
}
