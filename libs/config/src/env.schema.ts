import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce
  .number({ message: 'expected a TCP port number' })
  .int('expected a whole number')
  .min(1, 'expected a port between 1 and 65535')
  .max(65535, 'expected a port between 1 and 65535');

const positiveInt = (min: number, max: number) =>
  z.coerce
    .number({ message: 'expected a number' })
    .int('expected a whole number')
    .min(min, `expected at least ${min}`)
    .max(max, `expected at most ${max}`);

/** Connections to the embedded engine when WARDEN_CLICKHOUSE_EMBEDDED_CONNECTIONS is not set. */
export const DEFAULT_EMBEDDED_CONNECTIONS = 4;

const booleanFlag = z.enum(['true', 'false'], { message: 'expected true or false' }).transform((v) => v === 'true');

const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name (letters, digits, ".", "_", "-")');

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
  /** Embedded engine only: it runs one connection's statements one at a time, so several let writes and queries overlap. */
  WARDEN_CLICKHOUSE_EMBEDDED_CONNECTIONS: positiveInt(1, 32).default(DEFAULT_EMBEDDED_CONNECTIONS),
  WARDEN_RETENTION_DAYS: z.coerce
    .number({ message: 'expected a number of days' })
    .int('expected a whole number of days')
    .min(0, 'expected 0 (keep forever) or a positive number of days')
    .default(0),
  WARDEN_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Where the `warden` CLI finds a running Warden. */
  WARDEN_KAFKA_BROKERS: z
    .string()
    .regex(/^[^,\s:]+:\d{1,5}(,[^,\s:]+:\d{1,5})*$/, 'expected host:port[,host:port…]')
    .optional(),
  WARDEN_KAFKA_TOPIC: topicName.default('agent-actions'),
  WARDEN_KAFKA_DLQ_TOPIC: topicName.default('agent-actions.dlq'),
  WARDEN_KAFKA_GROUP: z.string().min(1).max(255).default('warden-ingest'),
  WARDEN_KAFKA_CLIENT_ID: z.string().min(1).max(255).default('warden'),
  WARDEN_KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  WARDEN_KAFKA_SASL_PASSWORD: z.string().optional(),
  WARDEN_KAFKA_CREATE_TOPICS: booleanFlag.default(true),
  WARDEN_KAFKA_BATCH_MAX_EVENTS: positiveInt(1, 100_000).default(10_000),
  WARDEN_KAFKA_BATCH_MAX_WAIT_MS: positiveInt(1, 60_000).default(250),
  WARDEN_KAFKA_BUFFER_MAX_BYTES: positiveInt(64 * 1024, 1024 * 1024 * 1024).default(32 * 1024 * 1024),
  WARDEN_KAFKA_PARTITIONS_CONCURRENCY: positiveInt(1, 64).default(6),
  WARDEN_KAFKA_TRIAGE_WORKERS: positiveInt(0, 16).default(1),
  WARDEN_INGEST_RETRY_INITIAL_MS: positiveInt(1, 60_000).default(200),
  WARDEN_INGEST_RETRY_MAX_MS: positiveInt(1, 600_000).default(10_000),
  WARDEN_INGEST_MIN_WRITE_INTERVAL_MS: positiveInt(0, 10_000).default(200),
  WARDEN_SHUTDOWN_TIMEOUT_MS: positiveInt(100, 600_000).default(15_000),
  /** Accepted as an admin key of the `default` tenant (first start, automation). At least 24 characters. */
  WARDEN_BOOTSTRAP_ADMIN_KEY: z.string().min(24, 'expected at least 24 characters').optional(),
  /** SSO: bearer JWTs validated against this issuer's JWKS. */
  WARDEN_OIDC_ISSUER: z.url({ message: 'expected the issuer URL' }).optional(),
  WARDEN_OIDC_AUDIENCE: z.string().min(1).optional(),
  WARDEN_OIDC_JWKS_URL: z.url({ message: 'expected the JWKS URL' }).optional(),
  WARDEN_OIDC_TENANT_CLAIM: z.string().min(1).default('warden_tenant'),
  WARDEN_OIDC_ROLE_CLAIM: z.string().min(1).default('warden_role'),
  /** Requests per minute per credential (per client address when unauthenticated). */
  WARDEN_RATE_LIMIT_PER_MINUTE: positiveInt(1, 1_000_000).default(1200),
  /** YAML file with alert sinks, connectors and other structured settings. */
  WARDEN_CONFIG: z.string().min(1).optional(),
  /** Rules marked auto_contain: `on` contains, `dry-run` only records what it would do, `off` ignores them. */
  WARDEN_AUTO_CONTAIN: z.enum(['off', 'dry-run', 'on']).default('dry-run'),
  WARDEN_AUTO_CONTAIN_MAX: positiveInt(1, 10_000).default(5),
  WARDEN_AUTO_CONTAIN_WINDOW_MS: positiveInt(1000, 86_400_000).default(3_600_000),
  WARDEN_RESPONSE_RETRY_INTERVAL_MS: positiveInt(100, 3_600_000).default(30_000),
  /** Extra rule directories, comma-separated, loaded after the shipped `rules/`. */
  WARDEN_RULES_DIRS: z.string().min(1).optional(),
  /** Credential the `warden` CLI sends (not used by the server). */
  WARDEN_API_KEY: z.string().min(1).optional(),
  WARDEN_URL: z.url({ protocol: /^https?$/, message: 'expected the http(s) URL of a running Warden' }).default('http://127.0.0.1:8080'),
});

export type WardenEnv = z.infer<typeof envSchema>;
