import { describe, expect, it } from 'vitest';
import { clickHouseTimeFromRfc3339, compareInstants, fromClickHouseDateTime64, parseRfc3339, toClickHouseDateTime64, toRfc3339Utc } from './timestamp.js';

describe('RFC 3339 ↔ ClickHouse DateTime64(6)', () => {
  it('converts an offset timestamp to UTC keeping microseconds', () => {
    const i = parseRfc3339('2026-11-24T09:15:02.123456+01:00');
    expect(toClickHouseDateTime64(i)).toBe('2026-11-24 08:15:02.123456');
    expect(toRfc3339Utc(i)).toBe('2026-11-24T08:15:02.123456Z');
  });

  it('keeps millisecond and whole-second timestamps short', () => {
    expect(toRfc3339Utc(parseRfc3339('2026-01-01T00:00:00.5-02:30'))).toBe('2026-01-01T02:30:00.500Z');
    expect(toRfc3339Utc(parseRfc3339('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00Z');
  });

  it('truncates digits beyond the microsecond rather than rounding into the next second', () => {
    expect(toClickHouseDateTime64(parseRfc3339('2026-01-01T00:00:00.9999999Z'))).toBe('2026-01-01 00:00:00.999999');
  });

  it('reads ClickHouse values back', () => {
    expect(toRfc3339Utc(fromClickHouseDateTime64('2026-11-24 08:15:02.000100'))).toBe('2026-11-24T08:15:02.000100Z');
  });

  it('rewrites UTC text to the ClickHouse literal exactly as the full parse would', () => {
    for (const text of ['2026-11-24T08:15:02Z', '2026-11-24T08:15:02.5Z', '2026-11-24T08:15:02.123Z', '2026-11-24T08:15:02.123456Z', '2026-11-24T09:15:02.123456+01:00', '2026-01-01T00:00:00.9999999Z']) {
      expect(clickHouseTimeFromRfc3339(text)).toBe(toClickHouseDateTime64(parseRfc3339(text)));
    }
    expect(() => clickHouseTimeFromRfc3339('2026-13-01T00:00:00Z')).toThrow(RangeError);
  });

  it('orders instants by second, then microsecond', () => {
    const at = (text: string) => parseRfc3339(text);
    expect(compareInstants(at('2026-01-01T00:00:00.000001Z'), at('2026-01-01T00:00:00Z'))).toBeGreaterThan(0);
    expect(compareInstants(at('2025-12-31T23:59:59.999999Z'), at('2026-01-01T00:00:00Z'))).toBeLessThan(0);
    expect(compareInstants(at('2026-01-01T01:00:00+01:00'), at('2026-01-01T00:00:00Z'))).toBe(0);
  });

  it('refuses timestamps without an offset', () => {
    expect(() => parseRfc3339('2026-11-24T09:15:02')).toThrow(RangeError);
  });
});
