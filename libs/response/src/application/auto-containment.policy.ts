export type AutoContainMode = 'off' | 'dry-run' | 'on';

export interface AutoContainCandidate {
  tenant: string;
  principal: string;
  ruleId: string;
  groupKey: string;
  autoContain: boolean;
}

export type AutoContainDecision =
  | { action: 'contain'; candidate: AutoContainCandidate }
  | { action: 'would-contain'; candidate: AutoContainCandidate }
  | { action: 'skip'; candidate: AutoContainCandidate; reason: 'rule-not-automatic' | 'mode-off' | 'cap-reached' | 'already-decided' };

/**
 * Whether a detection may contain its principal by itself. A noisy rule must
 * not lock out a fleet: at most `maxPerWindow` automatic containments per
 * tenant in any `windowMs`, and one per rule-and-principal group. Pure, with
 * `now` passed in; the caller keeps the instance for the process's life.
 */
export class AutoContainmentPolicy {
  private readonly recent = new Map<string, number[]>();
  private readonly decided = new Set<string>();

  constructor(
    private readonly mode: AutoContainMode,
    private readonly maxPerWindow: number,
    private readonly windowMs: number,
  ) {}

  decide(candidate: AutoContainCandidate, nowMs: number): AutoContainDecision {
    if (!candidate.autoContain) return { action: 'skip', candidate, reason: 'rule-not-automatic' };
    if (this.mode === 'off') return { action: 'skip', candidate, reason: 'mode-off' };
    const groupKey = `${candidate.tenant}\u0000${candidate.groupKey}`;
    if (this.decided.has(groupKey)) return { action: 'skip', candidate, reason: 'already-decided' };
    const times = (this.recent.get(candidate.tenant) ?? []).filter((t) => t > nowMs - this.windowMs);
    if (times.length >= this.maxPerWindow) {
      this.recent.set(candidate.tenant, times);
      return { action: 'skip', candidate, reason: 'cap-reached' };
    }
    times.push(nowMs);
    this.recent.set(candidate.tenant, times);
    this.decided.add(groupKey);
    return { action: this.mode === 'on' ? 'contain' : 'would-contain', candidate };
  }
}
