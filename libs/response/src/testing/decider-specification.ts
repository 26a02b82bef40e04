import { DomainError } from '@warden/common';
import { expect } from 'vitest';
import type { Decider } from '../decider/decider.js';

/**
 * Given / when / then for deciders, after emmett's DeciderSpecification.
 * Test support only: imported by specs, never by production code.
 *
 *   spec.given([requested]).when(recordSnapshot).then([snapshotted])
 *   spec.given([]).when(rollback).thenThrows('CONTAINMENT.NOT_FOUND')
 */
export interface DeciderSpecificationOptions<Event> {
  /** Called on every event `decide` returns, e.g. to check it against its schema. */
  validateEvent?: (event: Event) => void;
}

export interface WhenResult<Event> {
  /** Exactly these events, in this order. */
  then(expected: Event[]): void;
  /** No events: the command changes nothing. */
  thenNothingHappened(): void;
  /** Refused with a DomainError carrying this code (messages are for people, not tests). */
  thenThrows(code: string): void;
}

export const DeciderSpecification = {
  for<Command, Event, State>(decider: Decider<Command, Event, State>, options: DeciderSpecificationOptions<Event> = {}) {
    return {
      given(events: Event[]) {
        return {
          when(command: Command): WhenResult<Event> {
            const run = () => {
              const state = events.reduce(decider.evolve, decider.initialState());
              const produced = decider.decide(command, state);
              produced.forEach((e) => options.validateEvent?.(e));
              return produced;
            };
            return {
              then: (expected) => expect(run()).toEqual(expected),
              thenNothingHappened: () => expect(run()).toEqual([]),
              thenThrows: (code) => {
                let caught: unknown;
                try {
                  run();
                } catch (error) {
                  caught = error;
                }
                expect(caught, `expected the command to be refused with ${code}`).toBeInstanceOf(DomainError);
                expect((caught as DomainError).code).toBe(code);
              },
            };
          },
        };
      },
    };
  },
};
