import type { AgentAction } from '@warden/contracts';
import { redactText } from './redact-text.js';
import {
  REDACTION_MARKER_PREFIX,
  SECRET_FIELD_KINDS,
  type SecretKind,
  normaliseFieldName,
  redactionMarker,
} from './secret-patterns.js';

/** What was masked and where; never the secret itself. */
export interface Redaction {
  /** Dotted path into the event, array indexes as segments: `attributes.headers.authorization`, `attributes.argv.2`. */
  path: string;
  kind: SecretKind;
}

export interface RedactedEvent {
  /** The event with secrets masked; the very same object when nothing was masked. */
  event: AgentAction;
  redactions: Redaction[];
}

/**
 * Free-text fields of the contract, scanned like attributes. Identifiers
 * (event_id, tenant, principal.id, agent.id, resource.id, grantee, session
 * and trace ids) are never rewritten: detections, deduplication and
 * containment key on them, and a producer does not put a credential there.
 */
export const FREE_TEXT_FIELDS = [
  ['principal', 'display_name'],
  ['action', 'name'],
  ['resource', 'name'],
] as const;

type Key = string | number;
interface Change {
  keys: Key[];
  value: string;
}
type Recorder = (keys: Key[], value: string, kinds: SecretKind[]) => void;

/**
 * Masks secrets in an accepted event before it is stored, so the audit log
 * does not become the leak. Pure and idempotent: a marker is never itself
 * taken for a secret, so redacting a redacted event changes nothing. The
 * input is not modified; the output shares every untouched part with it.
 */
export function redactEvent(event: AgentAction): RedactedEvent {
  const changes: Change[] = [];
  const redactions: Redaction[] = [];
  const record: Recorder = (keys, value, kinds) => {
    changes.push({ keys, value });
    const path = keys.join('.');
    for (const kind of kinds) redactions.push({ path, kind });
  };

  for (const keys of FREE_TEXT_FIELDS) {
    const value = (event as unknown as Record<string, Record<string, unknown> | undefined>)[keys[0]]?.[keys[1]];
    if (typeof value !== 'string') continue;
    const result = redactText(value);
    if (result.kinds.length > 0) record([...keys], result.text, result.kinds);
  }
  if (event.attributes) walkAttributes(event.attributes, record);

  if (changes.length === 0) return { event, redactions };
  return { event: withChanges(event, changes), redactions };
}

/** A node of the walk; the path is rebuilt from parent links only for the rare string that changes. */
interface Node {
  value: unknown;
  key: Key;
  parent: Node | null;
}

/**
 * Depth-first, in key order, with an explicit stack: attributes may nest as
 * deep as 32 KiB of brackets allows, which would overflow a recursive walk.
 */
function walkAttributes(attributes: Record<string, unknown>, record: Recorder): void {
  const stack: Node[] = [{ value: attributes, key: 'attributes', parent: null }];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    const { value } = node;
    if (typeof value === 'string') {
      const named = namedSecretKind(node.key);
      if (named !== undefined) {
        if (value.length > 0 && !isMarker(value)) record(pathOf(node), redactionMarker(named), [named]);
        continue;
      }
      const result = redactText(value);
      if (result.kinds.length > 0) record(pathOf(node), result.text, result.kinds);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: node });
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1], key: entries[i][0], parent: node });
    }
  }
}

function pathOf(node: Node): Key[] {
  const keys: Key[] = [];
  for (let n: Node | null = node; n !== null; n = n.parent) keys.push(n.key);
  return keys.reverse();
}

function namedSecretKind(key: Key): SecretKind | undefined {
  return typeof key === 'string' ? SECRET_FIELD_KINDS.get(normaliseFieldName(key)) : undefined;
}

function isMarker(value: string): boolean {
  return value.startsWith(REDACTION_MARKER_PREFIX) && value.endsWith(']') && !value.includes(' ');
}

/**
 * Copy-on-write: only the containers on the path to a changed string are
 * copied (shallowly), so the input stays untouched at any depth without a
 * deep clone (structuredClone would recurse, and overflow, like a naive walk).
 */
function withChanges(event: AgentAction, changes: Change[]): AgentAction {
  const root: Record<Key, unknown> = { ...event };
  const copies = new Set<unknown>([root]);
  for (const { keys, value } of changes) {
    let node = root;
    for (const key of keys.slice(0, -1)) {
      let child = node[key];
      if (!copies.has(child)) {
        child = Array.isArray(child) ? [...child] : { ...(child as Record<Key, unknown>) };
        copies.add(child);
        node[key] = child;
      }
      node = child as Record<Key, unknown>;
    }
    node[keys[keys.length - 1]] = value;
  }
  return root as unknown as AgentAction;
}
