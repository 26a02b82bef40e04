export const CLICKHOUSE_CLIENT = Symbol('CLICKHOUSE_CLIENT');
export const TABLE_NAMES = Symbol('TABLE_NAMES');
export const EXTRA_MIGRATIONS = Symbol('EXTRA_MIGRATIONS');
