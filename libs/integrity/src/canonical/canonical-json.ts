/**
 * Canonical JSON in the manner of RFC 8785 (JCS): object members sorted by
 * the UTF-16 code units of their names, no insignificant whitespace, strings
 * and numbers serialised exactly as ECMAScript's JSON.stringify does (which
 * is what JCS specifies). Two payloads that mean the same JSON give the same
 * bytes, whatever key order or spacing the writer used, so a digest survives
 * an export and re-import but not a change of meaning.
 *
 * Iterative, not recursive: attributes may nest as deep as a 64 KiB event
 * allows, and the verifier must not fall over on a hostile payload.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  type Frame =
    | { kind: 'array'; items: readonly unknown[]; next: number }
    | { kind: 'object'; source: Record<string, unknown>; keys: string[]; next: number };
  const stack: Frame[] = [];

  const open = (v: unknown): void => {
    if (v === null) out.push('null');
    else if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
    else if (typeof v === 'string') out.push(JSON.stringify(v));
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError(`canonical JSON has no form for ${v}`);
      out.push(JSON.stringify(v));
    } else if (Array.isArray(v)) {
      out.push('[');
      stack.push({ kind: 'array', items: v, next: 0 });
    } else if (typeof v === 'object') {
      const source = v as Record<string, unknown>;
      // Members whose value is undefined do not exist in JSON (JSON.stringify drops them too).
      const keys = Object.keys(source).filter((k) => source[k] !== undefined).sort();
      out.push('{');
      stack.push({ kind: 'object', source, keys, next: 0 });
    } else {
      throw new TypeError(`canonical JSON has no form for a ${typeof v}`);
    }
  };

  open(value);
  for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
    if (top.kind === 'array') {
      if (top.next === top.items.length) {
        out.push(']');
        stack.pop();
        continue;
      }
      if (top.next > 0) out.push(',');
      const item = top.items[top.next++];
      open(item === undefined ? null : item);
    } else {
      if (top.next === top.keys.length) {
        out.push('}');
        stack.pop();
        continue;
      }
      if (top.next > 0) out.push(',');
      const key = top.keys[top.next++];
      out.push(JSON.stringify(key), ':');
      open(top.source[key]);
    }
  }
  return out.join('');
}
