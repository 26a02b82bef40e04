/**
 * Canonical JSON in the manner of RFC 8785 (JCS): object members sorted by
 * the UTF-16 code units of their names, no insignificant whitespace, strings
 * and numbers serialised exactly as ECMAScript's JSON.stringify does (which
 * is what JCS specifies). Two payloads that mean the same JSON give the same
 * bytes, whatever key order or spacing the writer used, so a digest survives
 * an export and re-import but not a change of meaning.
 *
 * Recursive for speed, with an iterative fallback: attributes may nest as
 * deep as a 64 KiB event allows, and neither ingest nor the verifier may
 * fall over on a hostile payload.
 */
export function canonicalJson(value: unknown): string {
  try {
    // A value already in canonical member order is what JSON.stringify writes, natively and in one pass.
    if (value !== undefined && inCanonicalOrder(value)) return JSON.stringify(value);
    return canonicalRecursive(value);
  } catch (error) {
    // Only a stack overflow falls back; a value JSON cannot hold is an error either way.
    if (error instanceof RangeError) return canonicalIterative(value);
    throw error;
  }
}

/**
 * The same JSON value with the members of every object in sorted order,
 * sharing whatever was already in order. Normalising to this order once lets
 * `canonicalJson` take its native path. Returns the input itself when it is
 * nested too deeply to copy (canonicalJson is then merely slower).
 */
export function withSortedMembers<T>(value: T): T {
  try {
    return sortedCopy(value) as T;
  } catch (error) {
    if (error instanceof RangeError) return value;
    throw error;
  }
}

function sortedCopy(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const sorted = sortedCopy(item);
      if (sorted !== item) (copy ??= v.slice())[i] = sorted;
    }
    return copy ?? v;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const source = v as Record<string, unknown>;
  const keys = Object.keys(source);
  let changed = false;
  for (let i = 1; i < keys.length && !changed; i++) changed = keys[i - 1] > keys[i];
  const members: unknown[] = [];
  for (const key of keys) {
    const member = source[key];
    const sorted = sortedCopy(member);
    if (sorted !== member) changed = true;
    members.push(sorted);
  }
  if (!changed) return v;
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
  const copy: Record<string, unknown> = {};
  for (const i of order) copy[keys[i]] = members[i];
  return copy;
}

/**
 * True when JSON.stringify(value) is already the canonical form: plain
 * objects whose members are in sorted order (none named like an array index,
 * which JSON.stringify would move to the front), holding only strings,
 * booleans, null, finite numbers, arrays and such objects. Validated events
 * come out of the contract's parser in this order, so ingest takes this path.
 */
function inCanonicalOrder(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object': {
      if (v === null) return true;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!inCanonicalOrder(v[i])) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      const source = v as Record<string, unknown>;
      let previous = '';
      for (const key of Object.keys(source)) {
        const first = key.charCodeAt(0);
        if ((first >= 48 && first <= 57) || key <= previous || !inCanonicalOrder(source[key])) return false;
        previous = key;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * The general path, about twice the speed of the iterative form on ordinary
 * events (it is on the ingest hot path: every stored payload is written in
 * this form). Deep nesting overflows the stack, which `canonicalJson` catches.
 */
function canonicalRecursive(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`canonical JSON has no form for ${v}`);
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = v[i];
          out += item === undefined ? 'null' : canonicalRecursive(item);
        }
        return `${out}]`;
      }
      const source = v as Record<string, unknown>;
      const keys = Object.keys(source).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = source[key];
        if (member === undefined) continue;
        out += first ? '' : ',';
        first = false;
        out += `${JSON.stringify(key)}:${canonicalRecursive(member)}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON has no form for a ${typeof v}`);
  }
}

function canonicalIterative(value: unknown): string {
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
