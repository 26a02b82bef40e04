/**
 * Query parameters written into the statement as typed literals, for the
 * embedded engine. chdb binds `{name:Type}` parameters through libchdb,
 * whose binding is not kept apart per connection, so chdb runs every
 * parameterised statement one at a time in the whole process (its
 * `runExclusiveParam`): a dedupe lookup, a detection's history read, the
 * alert dispatcher's reads and an analyst's query all queued behind each
 * other. A statement without parameters has no such queue.
 *
 * Each placeholder becomes `_CAST(<literal>, '<Type>')`, which is what the
 * engine itself substitutes for a bound parameter (a literal of the value,
 * converted to the declared type), so the statement means the same. Values
 * only ever become quoted, escaped literals: a value cannot end its literal
 * or add SQL, whatever it holds. Placeholders are found by the lexer's rules
 * (not inside string literals, quoted identifiers or comments), so text
 * that merely looks like one is left as it is.
 */

/** A statement's parameter cannot be written as a literal, or a placeholder has no value: a bug in the statement, never in input. */
export class QueryParameterError extends TypeError {
  constructor(
    message: string,
    readonly parameter: string,
  ) {
    super(message);
    this.name = 'QueryParameterError';
  }
}

/** The engine's default `max_query_size`: a statement longer than this needs the setting raised to be parsed. */
export const ENGINE_MAX_QUERY_SIZE = 262_144;

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const SPACE = /\s*/y;

/** The statement with every `{name:Type}` placeholder replaced by its value as a literal of that type. */
export function inlineQueryParams(query: string, params: Readonly<Record<string, unknown>>): string {
  let out = '';
  let copiedTo = 0;
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    if (c === "'" || c === '"' || c === '`') i = endOfQuoted(query, i);
    else if (c === '-' && query[i + 1] === '-') i = endOfLine(query, i);
    else if (c === '#' && (query[i + 1] === ' ' || query[i + 1] === '!')) i = endOfLine(query, i);
    else if (c === '/' && query[i + 1] === '*') i = endOfBlockComment(query, i);
    else if (c === '{') {
      const placeholder = placeholderAt(query, i);
      if (placeholder === null) {
        i++;
        continue;
      }
      if (!Object.hasOwn(params, placeholder.name)) {
        throw new QueryParameterError(`query parameter ${placeholder.name} (${placeholder.type}) has no value`, placeholder.name);
      }
      out += query.slice(copiedTo, i) + `_CAST(${literal(params[placeholder.name], placeholder.name)}, ${quote(placeholder.type)})`;
      i = copiedTo = placeholder.end;
    } else i++;
  }
  return out + query.slice(copiedTo);
}

/** `{name:Type}` starting at `start`, or null where the brace starts something else. */
function placeholderAt(query: string, start: number): { name: string; type: string; end: number } | null {
  let i = skipSpace(query, start + 1);
  NAME.lastIndex = i;
  const name = NAME.exec(query)?.[0];
  if (name === undefined) return null;
  i = skipSpace(query, i + name.length);
  if (query[i] !== ':') return null;
  const typeStart = i + 1;
  let depth = 0;
  for (i = typeStart; i < query.length; i++) {
    const c = query[i];
    if (c === "'" || c === '"' || c === '`') i = endOfQuoted(query, i) - 1;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '}' && depth === 0) {
      const type = query.slice(typeStart, i).trim();
      if (type === '') return null;
      if (type === 'Identifier') throw new QueryParameterError(`query parameter ${name}: an Identifier cannot be written as a literal`, name);
      return { name, type, end: i + 1 };
    }
  }
  return null;
}

function skipSpace(query: string, at: number): number {
  SPACE.lastIndex = at;
  SPACE.exec(query);
  return SPACE.lastIndex;
}

/** Just past the closing quote of the literal or identifier opened at `start` (backslash escapes, doubled quotes). */
function endOfQuoted(query: string, start: number): number {
  const q = query[start];
  for (let i = start + 1; i < query.length; i++) {
    if (query[i] === '\\') i++;
    else if (query[i] === q) {
      if (query[i + 1] === q) i++;
      else return i + 1;
    }
  }
  return query.length;
}

function endOfLine(query: string, start: number): number {
  const end = query.indexOf('\n', start);
  return end === -1 ? query.length : end + 1;
}

/** Block comments nest in ClickHouse. */
function endOfBlockComment(query: string, start: number): number {
  let depth = 0;
  for (let i = start; i < query.length - 1; i++) {
    if (query[i] === '/' && query[i + 1] === '*') {
      depth++;
      i++;
    } else if (query[i] === '*' && query[i + 1] === '/') {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return query.length;
}

function literal(value: unknown, name: string): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new QueryParameterError(`query parameter ${name}: ${value} is not a finite number`, name);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, name)).join(',')}]`;
  throw new QueryParameterError(`query parameter ${name}: expected a string, number, bigint, boolean, null or an array of them, got ${value === undefined ? 'undefined' : typeof value}`, name);
}

// Backslash and quote are escaped, and every control character is written as \xHH,
// so the literal is one line of plain text whatever the value holds.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_ESCAPE = /[\\'\u0000-\u001f\u007f]/g;

/** A ClickHouse string literal holding exactly `text`. */
function quote(text: string): string {
  return `'${text.replace(NEEDS_ESCAPE, escapeChar)}'`;
}

function escapeChar(c: string): string {
  if (c === '\\' || c === "'") return `\\${c}`;
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
