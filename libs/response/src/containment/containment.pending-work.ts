import { itemsMinus, type AccessItem } from './access-item.js';
import type { StepError } from './containment.events.js';
import type { ConnectorStage, ContainmentState, ContainmentStatus } from './containment.state.js';

/**
 * One connector call the process manager should make next. Steps of
 * different connectors are independent and may run concurrently; a
 * connector never has more than one step pending.
 */
export type PendingStep =
  | { readonly action: 'snapshot'; readonly connector: string; readonly attempt: number }
  | { readonly action: 'revoke'; readonly connector: string; readonly items: readonly AccessItem[]; readonly attempt: number }
  | { readonly action: 'restore'; readonly connector: string; readonly items: readonly AccessItem[]; readonly attempt: number };

/** A connector that failed for good and waits for an operator (RetryConnectors, or a rollback). */
export interface BlockedConnector {
  readonly connector: string;
  readonly stage: Extract<ConnectorStage, 'snapshot_failed' | 'revocation_failed' | 'restore_failed'>;
  readonly attempts: number;
  readonly lastError: StepError | null;
}

export interface PendingWork {
  readonly status: ContainmentStatus | 'none';
  /** Calls to make now. Empty when the containment is settled, rolled back, or waiting on an operator. */
  readonly steps: readonly PendingStep[];
  readonly blocked: readonly BlockedConnector[];
}

/**
 * What remains to do, from state alone. This is what makes a crash harmless:
 * on restart the process manager folds the stream and does exactly this.
 * Every step is safe to repeat (a snapshot taken again before revocation
 * reads the same holdings; revoking or granting again changes nothing), so a
 * call whose outcome was not recorded before the crash is simply made again.
 * Revocation lists only the snapshot items not yet revoked, restoration only
 * those not yet restored: never anything outside the snapshot.
 */
export function pendingWork(state: ContainmentState): PendingWork {
  if (state.status === 'none') return { status: 'none', steps: [], blocked: [] };
  const rollingBack = state.status === 'rolling_back';
  const steps: PendingStep[] = [];
  const blocked: BlockedConnector[] = [];

  for (const c of state.connectors) {
    const attempt = c.failedAttempts + 1;
    switch (c.stage) {
      case 'awaiting_snapshot':
        steps.push({ action: 'snapshot', connector: c.connector, attempt });
        break;
      case 'awaiting_revocation':
        steps.push({ action: 'revoke', connector: c.connector, items: itemsMinus(c.snapshot ?? [], c.revoked), attempt });
        break;
      case 'awaiting_restore':
        steps.push({ action: 'restore', connector: c.connector, items: itemsMinus(c.snapshot ?? [], c.restored), attempt });
        break;
      case 'snapshot_failed':
      case 'revocation_failed':
        // During (and after) a rollback these no longer block anything.
        if (!rollingBack && state.status !== 'rolled_back') {
          blocked.push({ connector: c.connector, stage: c.stage, attempts: c.failedAttempts, lastError: c.lastError });
        }
        break;
      case 'restore_failed':
        blocked.push({ connector: c.connector, stage: c.stage, attempts: c.failedAttempts, lastError: c.lastError });
        break;
      case 'revoked':
      case 'restored':
        break;
      default: {
        const unhandled: never = c.stage;
        throw new Error(`unhandled stage ${String(unhandled)}`);
      }
    }
  }
  return { status: state.status, steps, blocked };
}
