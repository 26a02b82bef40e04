import { describe, expect, it } from 'vitest';
import { canonicalJson, withSortedMembers } from './canonical-json.js';

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

  it('gives the same bytes on the fast path and the deep-nesting path', () => {
    const value = { z: [1, { b: 'x', a: [true, null] }], a: { 'é': 'ü', A: -0.5 } };
    let deep: unknown = value;
    for (let i = 0; i < 50_000; i++) deep = { k: deep };
    const deepText = canonicalJson(deep);
    expect(deepText.endsWith(`${canonicalJson(value)}${'}'.repeat(50_000)}`)).toBe(true);
  });

  it('writes members named like array indexes in name order, not the index-first order JavaScript keeps them in', () => {
    expect(canonicalJson({ b: 1, 10: 'x', 9: 'y', a: { 2: true, 1: false } })).toBe('{"10":"x","9":"y","a":{"1":false,"2":true},"b":1}');
  });

  it('writes a value whose members are already sorted exactly as one that needs sorting', () => {
    const sorted = { a: [1, undefined, 'x'], b: { c: null, d: -0 }, e: undefined, f: 'ü\n' };
    const shuffled = { f: 'ü\n', b: { d: -0, c: null }, e: undefined, a: [1, undefined, 'x'] };
    expect(canonicalJson(sorted)).toBe('{"a":[1,null,"x"],"b":{"c":null,"d":0},"f":"ü\\n"}');
    expect(canonicalJson(shuffled)).toBe(canonicalJson(sorted));
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });

  it('handles nesting deeper than a recursive serialiser could', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 50_000; i++) deep = { k: deep };
    const text = canonicalJson(deep);
    expect(text.length).toBe(50_000 * 6 + 6);
    expect(text.startsWith('{"k":{"k":')).toBe(true);
  });

  it('puts members in sorted order at every level without touching the input, sharing what was already in order', () => {
    const inOrder = { a: 1, b: [{ c: 2 }] };
    const input = { z: { y: 1, x: [{ b: 2, a: 1 }] }, a: inOrder };
    const sorted = withSortedMembers(input);
    expect(JSON.stringify(sorted)).toBe('{"a":{"a":1,"b":[{"c":2}]},"z":{"x":[{"a":1,"b":2}],"y":1}}');
    expect(JSON.stringify(sorted)).toBe(canonicalJson(input));
    expect(sorted.a).toBe(inOrder);
    expect(Object.keys(input)).toEqual(['z', 'a']);
  });
});
