/**
 * What first-seen rules ask of the stored history. The ClickHouse adapter
 * implements it over `agent_actions`; `InMemoryActionHistory` is the
 * reference behaviour (and the fake unit tests use).
 */
export interface ActionHistoryPort {
  /**
   * Whether, in `tenant`, `principalId` performed `actionType` on a resource of
   * type `resourceType` at any instant in [sinceIso, beforeIso), whatever the
   * outcome. `beforeIso` is the event under evaluation's own `occurred_at`, so
   * that event is excluded even though it may already be stored.
   * Timestamps are RFC 3339 UTC. Rejects when the history cannot be read; the
   * engine records that as a rule error and other rules still run.
   */
  hasPrior(
    tenant: string,
    principalId: string,
    actionType: string,
    resourceType: string,
    sinceIso: string,
    beforeIso: string,
  ): Promise<boolean>;

  /**
   * `hasPrior` for several questions at once, one answer per question in
   * order. The engine asks this way for a batch's questions together, so an
   * adapter should answer them in one read rather than one each.
   */
  hasPriorMany(questions: readonly PriorQuestion[]): Promise<boolean[]>;
}

/** One question of `hasPriorMany`: the arguments of `hasPrior`. */
export interface PriorQuestion {
  tenant: string;
  principalId: string;
  actionType: string;
  resourceType: string;
  sinceIso: string;
  beforeIso: string;
}

/** Injection token for the port, for the module that wires the engine. */
export const ACTION_HISTORY_PORT = Symbol('warden.detection.ActionHistoryPort');
