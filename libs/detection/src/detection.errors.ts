import { DomainError } from '@warden/common';

/**
 * Stable codes for everything that can go wrong in detection. Loading and
 * evaluation report these as data (so one bad rule never hides the others);
 * the classes below are for the few places that throw.
 */
export const RULE_LOAD_ERROR = {
  DIRECTORY_UNREADABLE: 'RULES.DIRECTORY_UNREADABLE',
  FILE_UNREADABLE: 'RULES.FILE_UNREADABLE',
  YAML_SYNTAX: 'RULES.YAML_SYNTAX',
  INVALID_RULE: 'RULES.INVALID_RULE',
  DUPLICATE_ID: 'RULES.DUPLICATE_ID',
} as const;
export type RuleLoadErrorCode = (typeof RULE_LOAD_ERROR)[keyof typeof RULE_LOAD_ERROR];

export const EVALUATION_ERROR = {
  /** A rule threw while looking at an event; the other rules still ran. */
  RULE_FAILED: 'DETECTION.RULE_FAILED',
  /** The action-history port failed; the first-seen rule could not decide. */
  HISTORY_UNAVAILABLE: 'DETECTION.HISTORY_UNAVAILABLE',
  /** An event's `occurred_at` could not be read; no rule saw the event. */
  BAD_EVENT_TIME: 'DETECTION.BAD_EVENT_TIME',
  /** A rule handed to the engine could not be prepared (it bypassed the schema); it does not run. */
  RULE_NOT_RUNNABLE: 'DETECTION.RULE_NOT_RUNNABLE',
  /** Two rules handed to the engine share an id; the first one runs. */
  DUPLICATE_RULE_ID: 'DETECTION.DUPLICATE_RULE_ID',
} as const;
export type EvaluationErrorCode = (typeof EVALUATION_ERROR)[keyof typeof EVALUATION_ERROR];

/** Thrown by `defineRule` for a rule built in code that does not pass the schema. */
export class InvalidRuleError extends DomainError {
  readonly code = RULE_LOAD_ERROR.INVALID_RULE;
  constructor(
    readonly ruleId: string | null,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`rule ${ruleId ?? '(no id)'} is invalid: ${issues.map((i) => `${i.path || '(rule)'}: ${i.message}`).join('; ')}`, { ruleId, issues });
  }
}

/** The history port rejected; wraps its error so the engine can report a stable code. */
export class HistoryUnavailableError extends DomainError {
  readonly code = EVALUATION_ERROR.HISTORY_UNAVAILABLE;
  constructor(cause: unknown) {
    super(`action history unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {}, { cause });
  }
}
