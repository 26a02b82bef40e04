import type { ContractViolation } from '@warden/contracts';

export interface IngestRejection {
  /** Position of the event in the batch, from 0. */
  index: number;
  event_id?: string;
  errors: ContractViolation[];
}

/** What `POST /v1/events` answers, and what every transport learns about a batch. */
export interface IngestResult {
  /** Events newly stored by this batch. */
  accepted: number;
  /** Events whose event_id was stored before, or repeated earlier in this batch. */
  duplicates: number;
  rejected: IngestRejection[];
}
