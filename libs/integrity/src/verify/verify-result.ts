import { z } from 'zod';
import { InvalidVerifyQueryError } from '../integrity.errors.js';

/**
 * What can be wrong, from the chain's point of view:
 * - `missing_batch`: a seq is absent (a digest row was deleted).
 * - `reordered_batch`: a batch does not continue from the one before it, or
 *   two different batches claim one seq (a fork or a forged digest row).
 * - `bad_signature`: a digest row was altered after signing, or its
 *   signature does not verify, or it was signed by a key this verifier does
 *   not trust.
 * - `deleted_row`: a digested event has no row in `agent_actions`.
 * - `edited_row`: a digested event's row no longer matches what was signed
 *   (payload, a column derived from it, or its ingested_at).
 * - `forged_row`: a row in `agent_actions` no digest accounts for: an event
 *   id in no digest, or an extra copy of a digested event with other content.
 */
export const CHAIN_BREAK_KINDS = ['missing_batch', 'reordered_batch', 'bad_signature', 'deleted_row', 'edited_row', 'forged_row'] as const;
export type ChainBreakKind = (typeof CHAIN_BREAK_KINDS)[number];

export interface ChainBreak {
  tenant: string;
  /** The batch where the problem is; for a forged row in no digest, the batch position it sits at (by ingested_at). */
  seq: number;
  kind: ChainBreakKind;
  event_id?: string;
  /** For people: what differs. Never event content. */
  detail: string;
}

export interface VerifyResult {
  ok: boolean;
  checked_batches: number;
  /** Digested events whose rows were checked; events aged out by retention are not counted. */
  checked_events: number;
  /** The first problem in (tenant, seq) order; within a batch, chain problems before row problems. */
  first_break?: ChainBreak;
}

/** `warden verify` flags and `GET /v1/audit/verify` query parameters. */
export const verifyQuerySchema = z
  .strictObject({
    tenant: z.string().min(1).max(128).optional(),
    /** Batches stored at or after this instant (RFC 3339). */
    from: z.iso.datetime({ offset: true }).optional(),
    /** Batches stored before this instant (RFC 3339). */
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
    path: ['to'],
  });
export type VerifyQuery = z.output<typeof verifyQuerySchema>;

/** Parses at the edge (HTTP query, CLI flags); throws InvalidVerifyQueryError naming each bad field. */
export function parseVerifyQuery(input: unknown): VerifyQuery {
  const parsed = verifyQuerySchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidVerifyQueryError(
    parsed.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: key, message: 'unknown parameter' }))
        : [{ path: issue.path.map(String).join('.'), message: issue.message }],
    ),
  );
}
