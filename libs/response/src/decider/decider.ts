/**
 * A decider (Jérémie Chassaing's pattern, as used by emmett): the whole
 * behaviour of an event-sourced entity as three pure functions. State is
 * never stored; it is the left fold of `evolve` over the stream.
 */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

/** The state after `events`, starting from the initial state. */
export function foldEvents<Command, Event, State>(
  decider: Decider<Command, Event, State>,
  events: readonly Event[],
): State {
  return events.reduce((state, event) => decider.evolve(state, event), decider.initialState());
}
