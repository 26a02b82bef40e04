import { describe, expect, it } from 'vitest';
import { insertSettings, rawInsertTarget, withInlinedParams } from './embedded-connection.js';

describe('which statements the embedded engine takes as a raw insert', () => {
  it('takes the repository insert: a quoted table, a column list and a compact JSON body', () => {
    expect(rawInsertTarget('INSERT INTO `warden`.`agent_actions` (tenant, event_id, payload) FORMAT JSONCompactEachRow')).toEqual({
      table: 'warden.agent_actions',
      columns: ['tenant', 'event_id', 'payload'],
      format: 'JSONCompactEachRow',
    });
  });

  it('takes the client insert: what @clickhouse/client builds for insert({ table, values, format })', () => {
    expect(rawInsertTarget('INSERT INTO `w`.`detections` FORMAT JSONEachRow')).toEqual({ table: 'w.detections', format: 'JSONEachRow' });
  });

  it('leaves everything else to the generic path', () => {
    for (const query of [
      'SELECT 1',
      'INSERT INTO t SELECT * FROM u',
      'INSERT INTO t (a) VALUES (1)',
      'INSERT INTO t (* EXCEPT (a)) FORMAT JSONEachRow',
      'INSERT INTO t FORMAT Native',
      'INSERT INTO `t; DROP TABLE u` FORMAT JSONEachRow',
      'INSERT INTO t FORMAT JSONEachRow SETTINGS x = 1',
    ]) {
      expect(rawInsertTarget(query), query).toBeNull();
    }
  });
});

describe('the settings an insert carries', () => {
  it('keeps engine settings and drops those only the HTTP server understands', () => {
    expect(insertSettings({ date_time_input_format: 'best_effort', input_format_json_read_objects_as_strings: 1, wait_end_of_query: 1, unset: undefined })).toEqual({
      date_time_input_format: 'best_effort',
      input_format_json_read_objects_as_strings: 1,
    });
  });

  it('refuses a value the SETTINGS clause cannot hold, naming the setting', () => {
    expect(() => insertSettings({ max_threads: { n: 2 } })).toThrow('setting max_threads: expected a string, number or boolean');
  });
});

describe('a statement with query parameters, as the embedded engine is sent it', () => {
  it('carries its values as literals and no parameters', () => {
    const sent = withInlinedParams({ query: 'SELECT {id:String}', query_params: { id: 'e-1' }, clickhouse_settings: { date_time_input_format: 'best_effort' } });
    expect(sent).toEqual({ query: "SELECT _CAST('e-1', 'String')", clickhouse_settings: { date_time_input_format: 'best_effort' } });
  });

  it('raises max_query_size for itself once its literals may pass the engine’s default, keeping its other settings', () => {
    const sent = withInlinedParams({ query: 'SELECT {ids:Array(String)}', query_params: { ids: Array.from({ length: 10_000 }, (_, i) => `event-${i}`) }, clickhouse_settings: { date_time_input_format: 'best_effort' } });
    expect(sent.clickhouse_settings).toEqual({ date_time_input_format: 'best_effort', max_query_size: 64 * 1024 * 1024 });
  });

  it('is sent as it is without parameters', () => {
    const params = { query: 'SELECT 1', query_params: {} };
    expect(withInlinedParams(params)).toBe(params);
  });
});
