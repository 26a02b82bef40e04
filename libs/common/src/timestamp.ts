const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})$/;

/**
 * An instant with microsecond precision, which is what ClickHouse stores
 * (DateTime64(6)). JavaScript's Date stops at milliseconds, so the fraction
 * is carried separately instead of being rounded away.
 */
export interface UtcInstant {
  /** Whole seconds since the epoch. */
  epochSeconds: number;
  /** Microseconds within the second, 0..999999. */
  micros: number;
}

export function parseRfc3339(value: string): UtcInstant {
  const m = RFC3339.exec(value);
  if (!m) throw new RangeError(`not an RFC 3339 timestamp with offset: ${value}`);
  const [, date, time, fraction = '', offset] = m;
  const ms = Date.parse(`${date}T${time}${offset.toUpperCase()}`);
  if (Number.isNaN(ms)) throw new RangeError(`not a valid instant: ${value}`);
  return { epochSeconds: ms / 1000, micros: Number(fraction.slice(0, 6).padEnd(6, '0')) };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function utcParts(i: UtcInstant): { date: string; time: string } {
  const d = new Date(i.epochSeconds * 1000);
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  };
}

/** `2026-11-24 08:00:00.123456`: the literal ClickHouse reads into DateTime64(6, 'UTC'). */
export function toClickHouseDateTime64(i: UtcInstant): string {
  const { date, time } = utcParts(i);
  return `${date} ${time}.${pad(i.micros, 6)}`;
}

const UTC_RFC3339 = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/;

/**
 * RFC 3339 text to the ClickHouse DateTime64(6) literal. Timestamps already
 * in UTC (every normalised event's) are rewritten as text, which is on the
 * ingest hot path; anything else goes through a full parse.
 */
export function clickHouseTimeFromRfc3339(value: string): string {
  const m = UTC_RFC3339.exec(value);
  if (m && !Number.isNaN(Date.parse(`${m[1]}T${m[2]}Z`))) return `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(6, '0')}`;
  return toClickHouseDateTime64(parseRfc3339(value));
}

/** RFC 3339 in UTC, with as many fraction digits as needed (none, 3 or 6). */
export function toRfc3339Utc(i: UtcInstant): string {
  const { date, time } = utcParts(i);
  if (i.micros === 0) return `${date}T${time}Z`;
  if (i.micros % 1000 === 0) return `${date}T${time}.${pad(i.micros / 1000, 3)}Z`;
  return `${date}T${time}.${pad(i.micros, 6)}Z`;
}

/** Reads ClickHouse's `YYYY-MM-DD hh:mm:ss[.ffffff]` (UTC) back into an instant. */
export function fromClickHouseDateTime64(value: string): UtcInstant {
  return parseRfc3339(`${value.replace(' ', 'T')}Z`);
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function compareInstants(a: UtcInstant, b: UtcInstant): number {
  return a.epochSeconds - b.epochSeconds || a.micros - b.micros;
}

export function instantFromDate(d: Date): UtcInstant {
  const ms = d.getTime();
  return { epochSeconds: Math.floor(ms / 1000), micros: (ms % 1000) * 1000 };
}
