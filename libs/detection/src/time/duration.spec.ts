import { describe, expect, it } from 'vitest';
import { durationSchema, formatDuration, parseDuration } from './duration.js';
import { eventTimeMs } from './event-time.js';

describe('durations in rule YAML', () => {
  it('reads each unit into milliseconds', () => {
    expect(['250ms', '60s', '10m', '2h', '30d'].map(parseDuration)).toEqual([250, 60_000, 600_000, 7_200_000, 2_592_000_000]);
  });

  it('does not read numbers without a unit, or unknown units', () => {
    expect(['60', '1w', '-5s', '1.5m', ''].map(parseDuration)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('formats back with the largest exact unit', () => {
    expect([60_000, 90_000, 600_000, 2_592_000_000, 1_500].map(formatDuration)).toEqual(['1m', '90s', '10m', '30d', '1500ms']);
  });

  it('rejects a duration outside the bounds of its field', () => {
    const window = durationSchema({ min: '1s', max: '1d' });
    expect(window.safeParse('60s')).toEqual({ success: true, data: 60_000 });
    expect(window.safeParse('2d').error?.issues[0].message).toBe('expected a duration between 1s and 1d; got "2d"');
    expect(window.safeParse('soon').error?.issues[0].message).toBe('expected a duration such as "60s", "10m", "1h" or "30d"; got "soon"');
  });
});

describe('event time', () => {
  it('reads RFC 3339 with any offset as UTC milliseconds, truncating microseconds', () => {
    expect(eventTimeMs('2026-11-24T09:00:00.123456+01:00')).toBe(Date.UTC(2026, 10, 24, 8, 0, 0, 123));
    expect(eventTimeMs('2026-11-24T08:00:00Z')).toBe(Date.UTC(2026, 10, 24, 8, 0, 0, 0));
  });
});
