import type { AgentAction } from '@warden/contracts';

/** One line a responder can read in an alert: who did what to which resource, and how it went. */
export function describeEvent(e: AgentAction): string {
  const sensitivity = e.resource.sensitivity ? ` (${e.resource.sensitivity})` : '';
  const confirmation = e.action.confirmation
    ? e.action.confirmation.required
      ? e.action.confirmation.obtained
        ? ', confirmation obtained'
        : ', confirmation required but not obtained'
      : ''
    : '';
  return `${e.principal.kind} ${e.principal.id}: ${e.action.type} on ${e.resource.type} ${e.resource.id}${sensitivity}, ${e.outcome}${confirmation}`;
}

/** `resource.delete ×18, email.delete ×2`, most frequent first. */
export function tally(labels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([l, n]) => `${l} ×${n}`)
    .join(', ');
}
