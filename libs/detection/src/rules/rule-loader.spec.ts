import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@warden/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RULE_LOAD_ERROR } from '../detection.errors.js';
import { loadRules, parseRuleFile } from './rule-loader.js';

const valid = (id: string) => `id: ${id}
title: Denied
severity: low
rationale: one line
kind: match
params:
  when:
    field: outcome
    equals: denied
`;

describe('loading rules from directories', () => {
  let dir: { path: string; cleanup: () => void };
  let extra: { path: string; cleanup: () => void };
  beforeEach(() => {
    dir = tempDir('warden-rules-');
    extra = tempDir('warden-rules-extra-');
  });
  afterEach(() => {
    dir.cleanup();
    extra.cleanup();
  });
  const write = (d: { path: string }, name: string, text: string) => writeFileSync(join(d.path, name), text);

  it('loads every YAML rule from each directory in order, files by name, and parses durations', async () => {
    write(dir, 'b.yaml', valid('rule-b'));
    write(dir, 'a.yml', valid('rule-a'));
    write(dir, 'notes.md', 'not a rule');
    write(dir, '.a.yaml.swp', 'editor junk');
    write(extra, 'c.yaml', valid('rule-c').replace('kind: match', 'kind: threshold').replace('    equals: denied\n', '    equals: denied\n  window: 90s\n  threshold: 3\n'));
    const set = await loadRules([dir.path, extra.path]);
    expect(set.errors).toEqual([]);
    expect(set.rules.map((r) => r.id)).toEqual(['rule-a', 'rule-b', 'rule-c']);
    expect(set.sources).toEqual([
      { rule_id: 'rule-a', file: join(dir.path, 'a.yml'), line: 1 },
      { rule_id: 'rule-b', file: join(dir.path, 'b.yaml'), line: 1 },
      { rule_id: 'rule-c', file: join(extra.path, 'c.yaml'), line: 1 },
    ]);
    const c = set.rules[2];
    expect(c.kind === 'threshold' && [c.params.window, c.params.group_by, c.enabled, c.auto_contain]).toEqual([90_000, ['principal.id'], true, false]);
  });

  it('reports a broken YAML file by file and line, and still loads the good files', async () => {
    write(dir, 'good.yaml', valid('good'));
    write(dir, 'broken.yaml', 'id: broken\ntitle: [unclosed\nseverity: high\n');
    const set = await loadRules([dir.path]);
    expect(set.rules.map((r) => r.id)).toEqual(['good']);
    expect(set.errors).toEqual([
      {
        code: RULE_LOAD_ERROR.YAML_SYNTAX,
        file: join(dir.path, 'broken.yaml'),
        rule_id: 'broken',
        path: '',
        message: expect.stringContaining('must be sufficiently indented and end with a ]'),
        line: 3,
      },
    ]);
  });

  it('reports a schema-invalid rule by file, rule id, path and line, and still loads the good files', async () => {
    write(dir, 'good.yaml', valid('good'));
    write(
      dir,
      'invalid.yaml',
      `id: sloppy
title: Sloppy
severity: urgent
rationale: one line
kind: match
params:
  when:
    all:
      - field: outcome
        equals: denied
      - field: acton.type
        regex: "(unclosed"
`,
    );
    const set = await loadRules([dir.path]);
    expect(set.rules.map((r) => r.id)).toEqual(['good']);
    const file = join(dir.path, 'invalid.yaml');
    expect(set.errors).toEqual([
      { code: RULE_LOAD_ERROR.INVALID_RULE, file, rule_id: 'sloppy', path: 'severity', message: 'Invalid option: expected one of "info"|"low"|"medium"|"high"|"critical"', line: 3 },
      { code: RULE_LOAD_ERROR.INVALID_RULE, file, rule_id: 'sloppy', path: 'params.when.all.1.field', message: 'unknown field "acton" (not in contract v1)', line: 11 },
      { code: RULE_LOAD_ERROR.INVALID_RULE, file, rule_id: 'sloppy', path: 'params.when.all.1.regex', message: expect.stringMatching(/^invalid regular expression: /), line: 12 },
    ]);
  });

  it('reports a duplicate rule id on the later definition and keeps the first', async () => {
    write(dir, 'a.yaml', valid('same'));
    write(extra, 'b.yaml', valid('same').replace('severity: low', 'severity: critical'));
    const set = await loadRules([dir.path, extra.path]);
    expect(set.rules.map((r) => [r.id, r.severity])).toEqual([['same', 'low']]);
    expect(set.errors).toEqual([
      {
        code: RULE_LOAD_ERROR.DUPLICATE_ID,
        file: join(extra.path, 'b.yaml'),
        rule_id: 'same',
        path: 'id',
        message: `rule id "same" is already defined in ${join(dir.path, 'a.yaml')}:1; this one is ignored`,
        line: 1,
      },
    ]);
  });

  it('reports a missing directory and loads the others', async () => {
    write(dir, 'a.yaml', valid('a'));
    const missing = join(dir.path, 'nope');
    const set = await loadRules([missing, dir.path]);
    expect(set.rules.map((r) => r.id)).toEqual(['a']);
    expect(set.errors.map((e) => [e.code, e.file])).toEqual([[RULE_LOAD_ERROR.DIRECTORY_UNREADABLE, missing]]);
  });

  it('reflects edits when called again (reload without restart)', async () => {
    write(dir, 'a.yaml', valid('a'));
    expect((await loadRules([dir.path])).rules.map((r) => r.severity)).toEqual(['low']);
    write(dir, 'a.yaml', valid('a').replace('severity: low', 'severity: high'));
    write(dir, 'b.yaml', valid('b'));
    expect((await loadRules([dir.path])).rules.map((r) => [r.id, r.severity])).toEqual([
      ['a', 'high'],
      ['b', 'low'],
    ]);
  });
});

describe('parsing one rule file', () => {
  it('reads several rules separated by ---, each validated on its own', () => {
    const { rules, errors } = parseRuleFile('multi.yaml', `${valid('one')}---\n${valid('two').replace('kind: match', 'kind: magic')}---\n${valid('three')}`);
    expect(rules.map((r) => [r.rule.id, r.line])).toEqual([
      ['one', 1],
      ['three', 21],
    ]);
    expect(errors).toEqual([
      { code: RULE_LOAD_ERROR.INVALID_RULE, file: 'multi.yaml', rule_id: 'two', path: 'kind', message: `Invalid discriminator value. Expected 'match' | 'threshold' | 'sequence' | 'first_seen' | 'permission_widening'`, line: 15 },
    ]);
  });

  it('names unknown keys and missing fields', () => {
    const text = valid('loose').replace('rationale: one line\n', 'auto_contian: true\n');
    expect(parseRuleFile('loose.yaml', text).errors.map((e) => [e.path, e.message])).toEqual([
      ['rationale', 'Invalid input: expected string, received undefined'],
      ['auto_contian', 'unknown key'],
    ]);
  });

  it('rejects a multi-line rationale and a duplicate YAML key', () => {
    const multiLine = valid('wordy').replace('rationale: one line', 'rationale: "first line\\nsecond line"');
    expect(parseRuleFile('wordy.yaml', multiLine).errors.map((e) => [e.path, e.message])).toEqual([
      ['rationale', 'the rationale is one line; put longer reasoning in a YAML comment'],
    ]);
    const dupKey = `${valid('dup')}severity: high\n`;
    expect(parseRuleFile('dup.yaml', dupKey).errors.map((e) => [e.code, e.rule_id])).toEqual([[RULE_LOAD_ERROR.YAML_SYNTAX, 'dup']]);
  });

  it('skips a file with only comments', () => {
    expect(parseRuleFile('empty.yaml', '# nothing here yet\n')).toEqual({ rules: [], errors: [] });
  });
});
