import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, isNode, parseAllDocuments, type Document } from 'yaml';
import { RULE_LOAD_ERROR, type RuleLoadErrorCode } from '../detection.errors.js';
import { checkRule, type Rule } from './rule.schema.js';

/** A problem with one file, or one rule in it. Nothing is thrown: good rules load regardless. */
export interface RuleLoadError {
  code: RuleLoadErrorCode;
  /** The file (or directory) as reached from the directory given. */
  file: string;
  /** The rule's id when it could be read, else null. */
  rule_id: string | null;
  /** Dotted path inside the rule (`params.when.all.1.regex`); empty for the file or the rule as a whole. */
  path: string;
  message: string;
  /** 1-based line in the file, when known. */
  line: number | null;
}

export interface LoadedRule {
  rule: Rule;
  file: string;
  line: number | null;
}

export interface RuleSet {
  /** Valid rules, in load order (directories as given, files by name, documents in order). */
  rules: Rule[];
  /** Where each loaded rule came from, in the same order. */
  sources: { rule_id: string; file: string; line: number | null }[];
  errors: RuleLoadError[];
}

const RULE_FILE = /^[^.].*\.ya?ml$/;

/**
 * Reads every `*.yaml` / `*.yml` in each directory (not recursively; hidden
 * files, such as editors' swap files, are skipped). A file holds one rule, or
 * several as YAML documents separated by `---`. Each rule is validated on its
 * own, so a broken file or rule costs only itself. A rule id seen twice is an
 * error on the later one; the first keeps running, because dropping a
 * shipped detection over a clash would be the worse failure.
 *
 * Safe to call again at any time (reload): it only reads. Hand the result to
 * `DetectionEngine.reload`. Note that a rule whose file is now broken is
 * absent from the new set; the caller decides whether to reload anyway.
 */
export async function loadRules(dirs: readonly string[]): Promise<RuleSet> {
  const loaded: LoadedRule[] = [];
  const errors: RuleLoadError[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile() && RULE_FILE.test(d.name)).map((d) => d.name);
    } catch (error) {
      errors.push(fileError(RULE_LOAD_ERROR.DIRECTORY_UNREADABLE, dir, `cannot read rule directory: ${(error as Error).message}`));
      continue;
    }
    for (const name of names.sort()) {
      const file = join(dir, name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        errors.push(fileError(RULE_LOAD_ERROR.FILE_UNREADABLE, file, `cannot read rule file: ${(error as Error).message}`));
        continue;
      }
      const parsed = parseRuleFile(file, text);
      loaded.push(...parsed.rules);
      errors.push(...parsed.errors);
    }
  }

  const firstById = new Map<string, LoadedRule>();
  const unique: LoadedRule[] = [];
  for (const l of loaded) {
    const first = firstById.get(l.rule.id);
    if (first) {
      errors.push({
        code: RULE_LOAD_ERROR.DUPLICATE_ID,
        file: l.file,
        rule_id: l.rule.id,
        path: 'id',
        message: `rule id "${l.rule.id}" is already defined in ${first.file}${first.line ? `:${first.line}` : ''}; this one is ignored`,
        line: l.line,
      });
      continue;
    }
    firstById.set(l.rule.id, l);
    unique.push(l);
  }
  return {
    rules: unique.map((l) => l.rule),
    sources: unique.map((l) => ({ rule_id: l.rule.id, file: l.file, line: l.line })),
    errors,
  };
}

/** Parses and validates one file's text. Pure: `file` is only used to name things. */
export function parseRuleFile(file: string, text: string): { rules: LoadedRule[]; errors: RuleLoadError[] } {
  const rules: LoadedRule[] = [];
  const errors: RuleLoadError[] = [];
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const documents = Array.isArray(parsed) ? parsed : [];
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;

  for (const doc of documents) {
    const idNode = doc.contents && isNode(doc.contents) ? doc.get('id', true) : undefined;
    const ruleId = isNode(idNode) && typeof idNode.toJSON() === 'string' ? (idNode.toJSON() as string) : null;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        errors.push({
          code: RULE_LOAD_ERROR.YAML_SYNTAX,
          file,
          rule_id: ruleId,
          path: '',
          message: e.message.split('\n')[0].replace(/:$/, ''),
          line: e.linePos?.[0].line ?? lineAt(e.pos[0]),
        });
      }
      continue;
    }
    if (doc.contents === null) continue; // an empty document (e.g. only comments)
    const docLine = doc.contents.range ? lineAt(doc.contents.range[0]) : null;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 50 });
    } catch (error) {
      errors.push({ code: RULE_LOAD_ERROR.YAML_SYNTAX, file, rule_id: ruleId, path: '', message: (error as Error).message, line: docLine });
      continue;
    }
    const check = checkRule(value);
    if (check.ok) {
      rules.push({ rule: check.rule, file, line: docLine });
      continue;
    }
    for (const issue of check.issues) {
      errors.push({
        code: RULE_LOAD_ERROR.INVALID_RULE,
        file,
        rule_id: check.rule_id,
        path: issue.path,
        message: issue.message,
        line: lineOfPath(doc, issue.path, lineAt) ?? docLine,
      });
    }
  }
  return { rules, errors };
}

/** The line of the deepest node on `path` that exists (a missing key points at its parent). */
function lineOfPath(doc: Document.Parsed, path: string, lineAt: (offset: number) => number): number | null {
  const segments: (string | number)[] = path === '' ? [] : path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let n = segments.length; n > 0; n--) {
    const node = doc.getIn(segments.slice(0, n), true);
    if (isNode(node) && node.range) return lineAt(node.range[0]);
  }
  return null;
}

function fileError(code: RuleLoadErrorCode, file: string, message: string): RuleLoadError {
  return { code, file, rule_id: null, path: '', message, line: null };
}
