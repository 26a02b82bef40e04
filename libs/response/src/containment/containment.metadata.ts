import { z } from 'zod';

const id = z.string().min(1).max(256);

/**
 * What every command carries besides its data. `now` is here so that
 * deciding never reads a clock (and replays and tests are deterministic);
 * `actor` is who or what issued the command, which may be Warden's process
 * manager rather than the person who asked for the containment.
 */
export const commandMetadataSchema = z.strictObject({
  now: z.iso.datetime({ offset: true }),
  correlationId: id,
  causationId: id,
  actor: id,
});
export type CommandMetadata = z.infer<typeof commandMetadataSchema>;

/** Stamped on every event from the command that caused it: when, in which flow, by whom. */
export const eventMetadataSchema = z.strictObject({
  recordedAt: z.iso.datetime({ offset: true }),
  correlationId: id,
  causationId: id,
  actor: id,
});
export type EventMetadata = z.infer<typeof eventMetadataSchema>;

export function eventMetadataFrom(command: CommandMetadata): EventMetadata {
  return {
    recordedAt: command.now,
    correlationId: command.correlationId,
    causationId: command.causationId,
    actor: command.actor,
  };
}
