import {
  MIN_SCAN_LENGTH,
  SECRET_PATTERNS,
  SECRET_TRIGGER,
  type SecretKind,
  redactionMarker,
} from './secret-patterns.js';

export interface RedactedText {
  text: string;
  /** One entry per secret masked, in the order the patterns found them. */
  kinds: SecretKind[];
}

/**
 * Masks every secret shape in one string. Returns the same string (and no
 * kinds) when there is nothing to mask, which is the common case: short
 * strings and strings without any trigger fragment are not scanned at all.
 */
export function redactText(text: string): RedactedText {
  if (text.length < MIN_SCAN_LENGTH || !SECRET_TRIGGER.test(text)) return { text, kinds: [] };
  const kinds: SecretKind[] = [];
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    if (!pattern.trigger.test(out)) continue;
    // `replace` with a global regex starts from 0 and resets lastIndex, so a shared regex is safe here.
    out = out.replace(pattern.regex, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args[args.length - 1];
      const { pre = '', post = '' } =
        typeof groups === 'object' && groups !== null ? (groups as { pre?: string; post?: string }) : {};
      const secret = match.slice(pre.length, match.length - post.length);
      if (pattern.accept && !pattern.accept(secret)) return match;
      kinds.push(pattern.kind);
      return `${pre}${redactionMarker(pattern.kind)}${post}`;
    });
  }
  return { text: out, kinds };
}
