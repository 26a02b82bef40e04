import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce
  .number({ message: 'expected a TCP port number' })
  .int('expected a whole number')
  .min(1, 'expected a port between 1 and 65535')
  .max(65535, 'expected a port between 1 and 65535');

/**
 * Every setting Warden reads from the environment. Unknown `WARDEN_*`
 * variables are reported too: a misspelt setting that is silently ignored
 * is how a security tool ends up running with defaults nobody chose.
 */
export const envSchema = z.object({
  WARDEN_PORT: port.default(8080),
  WARDEN_HOST: z.string().min(1).default('127.0.0.1'),
  WARDEN_DATA_DIR: z.string().min(1).default('./data'),
  WARDEN_CLICKHOUSE_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL of a ClickHouse server' })
    .optional(),
  WARDEN_CLICKHOUSE_USER: z.string().min(1).optional(),
  WARDEN_CLICKHOUSE_PASSWORD: z.string().optional(),
  WARDEN_CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a ClickHouse identifier (letters, digits, underscore)')
    .default('warden'),
  WARDEN_RETENTION_DAYS: z.coerce
    .number({ message: 'expected a number of days' })
    .int('expected a whole number of days')
    .min(0, 'expected 0 (keep forever) or a positive number of days')
    .default(0),
  WARDEN_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Where the `warden` CLI finds a running Warden. */
  /** Credential the `warden` CLI sends (not used by the server). */
  WARDEN_API_KEY: z.string().min(1).optional(),
  WARDEN_URL: z.url({ protocol: /^https?$/, message: 'expected the http(s) URL of a running Warden' }).default('http://127.0.0.1:8080'),
});

export type WardenEnv = z.infer<typeof envSchema>;
