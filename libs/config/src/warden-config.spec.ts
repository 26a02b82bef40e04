import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './warden-config.js';

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration from WARDEN_* variables', () => {
  it('defaults to the embedded engine on :8080 with data in ./data', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.clickhouse).toMatchObject({ kind: 'embedded', database: 'warden', connections: 4 });
    expect(config.dataDir).toBe(`${process.cwd()}/data`);
    expect(config.retentionDays).toBe(0);
    expect(config.ingest).toEqual({ minWriteIntervalMs: 200 });
  });

  it('uses a ClickHouse server when WARDEN_CLICKHOUSE_URL is set', () => {
    const config = loadConfig({ WARDEN_CLICKHOUSE_URL: 'http://ch.internal:8123', WARDEN_CLICKHOUSE_USER: 'warden' });
    expect(config.clickhouse).toEqual({ kind: 'server', url: 'http://ch.internal:8123', username: 'warden', password: undefined, database: 'warden' });
  });

  it.each([
    ['WARDEN_PORT', 'eighty', /port/],
    ['WARDEN_PORT', '70000', /between 1 and 65535/],
    ['WARDEN_CLICKHOUSE_URL', 'ftp://x', /http\(s\) URL/],
    ['WARDEN_RETENTION_DAYS', '-3', /positive number of days/],
    ['WARDEN_LOG_LEVEL', 'loud', /expected one of/],
    ['WARDEN_CLICKHOUSE_DATABASE', 'x; DROP', /identifier/],
    ['WARDEN_CLICKHOUSE_EMBEDDED_CONNECTIONS', '0', /at least 1/],
    ['WARDEN_INGEST_MIN_WRITE_INTERVAL_MS', '60000', /at most 10000/],
  ])('stops start-up naming %s when it is %j', (variable, value, message) => {
    const problems = problemsOf({ [variable]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0].variable).toBe(variable);
    expect(problems[0].message).toMatch(message);
  });

  it('reports a misspelt setting instead of ignoring it', () => {
    expect(problemsOf({ WARDEN_PROT: '9000' })).toEqual([
      { variable: 'WARDEN_PROT', message: expect.stringMatching(/unknown setting/) },
    ]);
  });

  it('never echoes a password back', () => {
    const error = (() => {
      try {
        loadConfig({ WARDEN_CLICKHOUSE_PASSWORD: 's3cret', WARDEN_PORT: 'x' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).not.toContain('s3cret');
  });
});
