import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;
const DURATION = /^(\d{1,9})(ms|s|m|h)$/;

/** `30s`, `5m`, `1h` → milliseconds; undefined when the text is not a duration. Same notation as rule YAML. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2] as Unit] : undefined;
}

/** A bounded duration, so a typo (`5h` for `5m`) is refused rather than silently muting a group for hours. */
export function durationSchema(bounds: { min: string; max: string }) {
  const min = parseDuration(bounds.min) ?? 0;
  const max = parseDuration(bounds.max) ?? Number.MAX_SAFE_INTEGER;
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s", "5m" or "1h"; got "${text}"` });
      return z.NEVER;
    }
    if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', message: `expected a duration between ${bounds.min} and ${bounds.max}; got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });
}
