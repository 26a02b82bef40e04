import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonical JSON (RFC 8785 style)', () => {
  it('sorts members by name at every level and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('gives the same text for the same meaning written two ways', () => {
    const a = JSON.parse('{ "event_id": "e1", "attributes": { "k": 1.50, "j": [1e2, -0] } }');
    const b = JSON.parse('{"attributes":{"j":[100,0],"k":1.5},"event_id":"e1"}');
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"attributes":{"j":[100,0],"k":1.5},"event_id":"e1"}');
  });

  it('orders names by UTF-16 code units, as JCS does (so "é" after "z", and an astral character before "\uffff")', () => {
    expect(canonicalJson({ 'é': 1, z: 2, '\uffff': 3, '😀': 4, A: 5 })).toBe('{"A":5,"z":2,"é":1,"😀":4,"\uffff":3}');
  });

  it('escapes strings exactly as JSON.stringify does', () => {
    expect(canonicalJson({ s: 'line\nbreak "quoted" \u0001 \u2028' })).toBe('{"s":"line\\nbreak \\"quoted\\" \\u0001 \u2028"}');
  });

  it('keeps array order, drops undefined members and writes an undefined array item as null', () => {
    expect(canonicalJson({ a: [3, 1, undefined, 2], gone: undefined })).toBe('{"a":[3,1,null,2]}');
  });

  it('refuses numbers JSON cannot hold', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson([Infinity])).toThrow(TypeError);
  });

  it('handles nesting deeper than a recursive serialiser could', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 50_000; i++) deep = { k: deep };
    const text = canonicalJson(deep);
    expect(text.length).toBe(50_000 * 6 + 6);
    expect(text.startsWith('{"k":{"k":')).toBe(true);
  });
});
