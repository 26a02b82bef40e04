import { describe, expect, it } from 'vitest';
import { QueryParameterError, inlineQueryParams } from './inline-query-params.js';

describe('query parameters written into the statement as literals', () => {
  it('writes each placeholder as its value cast to the declared type, as the engine substitutes a bound one', () => {
    expect(
      inlineQueryParams("SELECT * FROM t WHERE tenant = {tenant:String} AND at >= {from:DateTime64(6, 'UTC')} AND n < {limit:UInt32}", {
        tenant: 'acme',
        from: '2026-11-25 09:00:00.000000',
        limit: 50,
      }),
    ).toBe(
      "SELECT * FROM t WHERE tenant = _CAST('acme', 'String') AND at >= _CAST('2026-11-25 09:00:00.000000', 'DateTime64(6, \\'UTC\\')') AND n < _CAST(50, 'UInt32')",
    );
  });

  it('writes arrays, bigints, booleans and null as literals of their own', () => {
    expect(inlineQueryParams('SELECT {ids:Array(String)}, {n:UInt64}, {b:Bool}, {z:Nullable(String)}, {none:Array(String)}', { ids: ['a', 'b'], n: 18446744073709551615n, b: true, z: null, none: [] })).toBe(
      "SELECT _CAST(['a','b'], 'Array(String)'), _CAST(18446744073709551615, 'UInt64'), _CAST(true, 'Bool'), _CAST(NULL, 'Nullable(String)'), _CAST([], 'Array(String)')",
    );
  });

  it('escapes quotes, backslashes and control characters, so a value cannot end its literal', () => {
    expect(inlineQueryParams('SELECT {v:String}', { v: "x'; DROP TABLE t; --" })).toBe("SELECT _CAST('x\\'; DROP TABLE t; --', 'String')");
    expect(inlineQueryParams('SELECT {v:String}', { v: "\\'" })).toBe("SELECT _CAST('\\\\\\'', 'String')");
    expect(inlineQueryParams('SELECT {v:String}', { v: 'a\nb\u0000c\u007f' })).toBe("SELECT _CAST('a\\x0ab\\x00c\\x7f', 'String')");
  });

  it('takes a placeholder with spaces around its name and type', () => {
    expect(inlineQueryParams('SELECT { id : String }', { id: 'e-1' })).toBe("SELECT _CAST('e-1', 'String')");
  });

  it('leaves text that only looks like a placeholder: in string literals, quoted identifiers, comments and map literals', () => {
    const query = [
      "SELECT '{a:String}', 'it''s {a:String}', 'x\\'{a:String}'",
      ', "{a:String}", `{a:String}`',
      ", {'k': 1}, {a:String} -- {a:String}",
      '# {a:String}',
      '/* {a:String} /* nested {a:String} */ still {a:String} */ {a:String}',
    ].join('\n');
    expect(inlineQueryParams(query, { a: 'v' })).toBe(
      [
        "SELECT '{a:String}', 'it''s {a:String}', 'x\\'{a:String}'",
        ', "{a:String}", `{a:String}`',
        ", {'k': 1}, _CAST('v', 'String') -- {a:String}",
        '# {a:String}',
        "/* {a:String} /* nested {a:String} */ still {a:String} */ _CAST('v', 'String')",
      ].join('\n'),
    );
  });

  it('returns a statement without placeholders unchanged', () => {
    expect(inlineQueryParams('SELECT 1', { unused: 'x' })).toBe('SELECT 1');
  });

  it('names a placeholder that has no value', () => {
    expect(() => inlineQueryParams('SELECT {tenant:String}', {})).toThrow(new QueryParameterError('query parameter tenant (String) has no value', 'tenant'));
  });

  it('refuses values it cannot write as a literal, naming the parameter', () => {
    for (const [value, what] of [
      [undefined, 'expected a string, number, bigint, boolean, null or an array of them, got undefined'],
      [{ a: 1 }, 'expected a string, number, bigint, boolean, null or an array of them, got object'],
      [new Date(0), 'expected a string, number, bigint, boolean, null or an array of them, got object'],
      [Number.NaN, 'NaN is not a finite number'],
      [[1, Number.POSITIVE_INFINITY], 'Infinity is not a finite number'],
    ] as const) {
      expect(() => inlineQueryParams('SELECT {p:String}', { p: value })).toThrow(`query parameter p: ${what}`);
    }
  });

  it('refuses an Identifier placeholder: a name is not a value', () => {
    expect(() => inlineQueryParams('SELECT * FROM {table:Identifier}', { table: 't' })).toThrow(QueryParameterError);
  });

  it('is a programming error, never retried as a passing failure', () => {
    expect(new QueryParameterError('m', 'p')).toBeInstanceOf(TypeError);
  });
});
