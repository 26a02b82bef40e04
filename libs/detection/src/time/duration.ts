import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;

/** `60s`, `10m`, `30d` → milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as Unit];
}

/** The largest unit that divides the duration exactly, so summaries read like the YAML they came from. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A duration in rule YAML (`60s`, `10m`, `30d`) parsed to milliseconds, between
 * `min` and `max`. Bounds keep a typo (`60d` for `60s`) from quietly turning a
 * window into a memory problem.
 */
export function durationSchema(bounds: { min: string; max: string }) {
  const min = parseDuration(bounds.min) ?? 0;
  const max = parseDuration(bounds.max) ?? Number.MAX_SAFE_INTEGER;
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "60s", "10m", "1h" or "30d"; got "${text}"` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `expected a duration between ${bounds.min} and ${bounds.max}; got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });
}
