import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DomainError } from '@warden/common';
import { envSchema } from './env.schema.js';

export type ClickHouseTarget =
  | { kind: 'embedded'; dataDir: string; database: string; connections?: number }
  | { kind: 'server'; url: string; username?: string; password?: string; database: string };

export interface KafkaIngestConfig {
  brokers: string[];
  clientId: string;
  topic: string;
  dlqTopic: string;
  groupId: string;
  sasl?: { mechanism: 'plain'; username: string; password: string };
  createTopics: boolean;
  /** Most events written to ClickHouse in one insert. */
  batchMaxEvents: number;
  /** Longest the consumer waits to fill a fetch before processing what it has. */
  batchMaxWaitMs: number;
  /** Bound on fetched-but-unprocessed bytes: no more is fetched until a batch is stored (backpressure). */
  bufferMaxBytes: number;
  partitionsConcurrency: number;
  /** Worker threads that decode and validate consumed messages; 0 does it on the main thread. */
  triageWorkers: number;
}

/** Validated, typed configuration: the only way settings reach the rest of Warden. */
export interface WardenConfig {
  http: { host: string; port: number };
  dataDir: string;
  clickhouse: ClickHouseTarget;
  retentionDays: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** The Warden the CLI talks to. */
  url: string;
  /** Set when WARDEN_KAFKA_BROKERS is: Warden then also consumes the Kafka topic. */
  kafka?: KafkaIngestConfig;
  retry: { initialMs: number; maxMs: number };
  /**
   * A tenant's next write of stored events starts at least this long after
   * the previous one started, when events are waiting: the embedded engine
   * pays about 20 ms of CPU per insert (and its merges) whatever its size.
   */
  ingest: { minWriteIntervalMs: number };
  shutdownTimeoutMs: number;
  detection: { ruleDirs: string[] };
  /** The parsed WARDEN_CONFIG file (each lib validates its own section), or {} when none is set. */
  file: { path: string | null; content: Record<string, unknown> };
  auth: {
    bootstrapAdminKey?: string;
    oidc?: { issuer: string; audience: string; jwksUrl: string; tenantClaim: string; roleClaim: string };
    rateLimitPerMinute: number;
  };
  response: {
    retryIntervalMs: number;
    autoContain: { mode: 'off' | 'dry-run' | 'on'; maxPerWindow: number; windowMs: number };
  };
}

export class ConfigError extends DomainError {
  readonly code = 'CONFIG.INVALID';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
      { problems },
    );
  }
}

const KNOWN = new Set(Object.keys(envSchema.shape));

/** Parses the environment once, at start-up; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): WardenConfig {
  const problems: { variable: string; message: string }[] = [];
  for (const name of Object.keys(env)) {
    if (name.startsWith('WARDEN_') && !KNOWN.has(name) && !name.startsWith('WARDEN_TEST_')) {
      problems.push({ variable: name, message: 'unknown setting (check the spelling against the README)' });
    }
  }
  const wardenOnly = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => KNOWN.has(k) && v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(wardenOnly);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? 'environment');
      const received = wardenOnly[variable];
      const shown = /PASSWORD|KEY|SECRET/.test(variable) || received === undefined ? '' : ` (got "${received}")`;
      problems.push({ variable, message: `${issue.message}${shown}` });
    }
  }
  if (parsed.success && Boolean(parsed.data.WARDEN_OIDC_ISSUER) !== Boolean(parsed.data.WARDEN_OIDC_JWKS_URL)) {
    const missing = parsed.data.WARDEN_OIDC_ISSUER ? 'WARDEN_OIDC_JWKS_URL' : 'WARDEN_OIDC_ISSUER';
    problems.push({ variable: missing, message: 'SSO needs both WARDEN_OIDC_ISSUER and WARDEN_OIDC_JWKS_URL' });
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const e = parsed.data;
  const dataDir = resolve(e.WARDEN_DATA_DIR);
  return {
    http: { host: e.WARDEN_HOST, port: e.WARDEN_PORT },
    dataDir,
    clickhouse: e.WARDEN_CLICKHOUSE_URL
      ? {
          kind: 'server',
          url: e.WARDEN_CLICKHOUSE_URL,
          username: e.WARDEN_CLICKHOUSE_USER,
          password: e.WARDEN_CLICKHOUSE_PASSWORD,
          database: e.WARDEN_CLICKHOUSE_DATABASE,
        }
      : { kind: 'embedded', dataDir, database: e.WARDEN_CLICKHOUSE_DATABASE, connections: e.WARDEN_CLICKHOUSE_EMBEDDED_CONNECTIONS },
    retentionDays: e.WARDEN_RETENTION_DAYS,
    logLevel: e.WARDEN_LOG_LEVEL,
    url: e.WARDEN_URL,
    kafka: e.WARDEN_KAFKA_BROKERS
      ? {
          brokers: e.WARDEN_KAFKA_BROKERS.split(','),
          clientId: e.WARDEN_KAFKA_CLIENT_ID,
          topic: e.WARDEN_KAFKA_TOPIC,
          dlqTopic: e.WARDEN_KAFKA_DLQ_TOPIC,
          groupId: e.WARDEN_KAFKA_GROUP,
          sasl: e.WARDEN_KAFKA_SASL_USERNAME
            ? { mechanism: 'plain', username: e.WARDEN_KAFKA_SASL_USERNAME, password: e.WARDEN_KAFKA_SASL_PASSWORD ?? '' }
            : undefined,
          createTopics: e.WARDEN_KAFKA_CREATE_TOPICS,
          batchMaxEvents: e.WARDEN_KAFKA_BATCH_MAX_EVENTS,
          batchMaxWaitMs: e.WARDEN_KAFKA_BATCH_MAX_WAIT_MS,
          bufferMaxBytes: e.WARDEN_KAFKA_BUFFER_MAX_BYTES,
          partitionsConcurrency: e.WARDEN_KAFKA_PARTITIONS_CONCURRENCY,
          triageWorkers: e.WARDEN_KAFKA_TRIAGE_WORKERS,
        }
      : undefined,
    retry: { initialMs: e.WARDEN_INGEST_RETRY_INITIAL_MS, maxMs: e.WARDEN_INGEST_RETRY_MAX_MS },
    ingest: { minWriteIntervalMs: e.WARDEN_INGEST_MIN_WRITE_INTERVAL_MS },
    shutdownTimeoutMs: e.WARDEN_SHUTDOWN_TIMEOUT_MS,
    file: loadConfigFile(e.WARDEN_CONFIG),
    auth: {
      bootstrapAdminKey: e.WARDEN_BOOTSTRAP_ADMIN_KEY,
      oidc:
        e.WARDEN_OIDC_ISSUER && e.WARDEN_OIDC_JWKS_URL
          ? {
              issuer: e.WARDEN_OIDC_ISSUER,
              audience: e.WARDEN_OIDC_AUDIENCE ?? 'warden',
              jwksUrl: e.WARDEN_OIDC_JWKS_URL,
              tenantClaim: e.WARDEN_OIDC_TENANT_CLAIM,
              roleClaim: e.WARDEN_OIDC_ROLE_CLAIM,
            }
          : undefined,
      rateLimitPerMinute: e.WARDEN_RATE_LIMIT_PER_MINUTE,
    },
    response: {
      retryIntervalMs: e.WARDEN_RESPONSE_RETRY_INTERVAL_MS,
      autoContain: { mode: e.WARDEN_AUTO_CONTAIN, maxPerWindow: e.WARDEN_AUTO_CONTAIN_MAX, windowMs: e.WARDEN_AUTO_CONTAIN_WINDOW_MS },
    },
    detection: {
      ruleDirs: (e.WARDEN_RULES_DIRS ?? '')
        .split(',')
        .map((d) => d.trim())
        .filter((d) => d !== '')
        .map((d) => resolve(d)),
    },
  };
}

/** Reads the WARDEN_CONFIG YAML file; a missing or malformed file stops start-up naming it. */
function loadConfigFile(path: string | undefined): WardenConfig['file'] {
  if (path === undefined) return { path: null, content: {} };
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError([{ variable: 'WARDEN_CONFIG', message: `cannot read ${absolute}: ${(error as Error).message}` }]);
  }
  let content: unknown;
  try {
    content = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError([{ variable: 'WARDEN_CONFIG', message: `${absolute} is not valid YAML: ${(error as Error).message}` }]);
  }
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new ConfigError([{ variable: 'WARDEN_CONFIG', message: `${absolute} must hold a mapping (sections such as connectors:, alerting:)` }]);
  }
  return { path: absolute, content: content as Record<string, unknown> };
}

/**
 * Validates one section of the WARDEN_CONFIG file with the owning lib's
 * schema; errors name the file and the path inside it.
 */
export function configSection<T>(
  config: WardenConfig,
  section: string,
  schema: { safeParse: (v: unknown) => { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } },
): T {
  const parsed = schema.safeParse(config.file.content[section]);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => ({
      variable: `WARDEN_CONFIG ${config.file.path ?? '(none)'}`,
      message: `${[section, ...issue.path.map(String)].join('.')}: ${issue.message}`,
    })),
  );
}
