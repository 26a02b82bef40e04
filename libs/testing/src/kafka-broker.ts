import { type ExecFileException, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs, { type Admin, Kafka, type KafkaConfig, logLevel } from 'kafkajs';

// kafkajs is CommonJS and exports its error classes in a way Node's named imports do not see.
const { KafkaJSProtocolError } = kafkajs;

/** Where the tests' Kafka is: a PLAINTEXT bootstrap list and a SASL_PLAINTEXT (PLAIN) one. */
export interface KafkaBrokerEndpoints {
  /** PLAINTEXT listener: no authentication, principal `User:ANONYMOUS` (a super user). */
  brokers: string[];
  /** SASL_PLAINTEXT listener (mechanism PLAIN, users in KAFKA_TEST_USERS); empty if unknown. */
  saslBrokers: string[];
}

export interface KafkaTestUser {
  readonly username: string;
  readonly password: string;
}

/**
 * The SASL/PLAIN logins of the local broker (deploy/kafka/server.properties). `admin` is a
 * super user; the agents have no rights until an ACL grants them some.
 */
export const KAFKA_TEST_USERS = {
  admin: { username: 'admin', password: 'admin-secret' },
  agentAlpha: { username: 'agent-alpha', password: 'alpha-secret' },
  agentBeta: { username: 'agent-beta', password: 'beta-secret' },
  agentGamma: { username: 'agent-gamma', password: 'gamma-secret' },
} as const satisfies Record<string, KafkaTestUser>;

/** kafkajs `sasl` options for one of KAFKA_TEST_USERS. */
export function plainSasl(user: KafkaTestUser): { mechanism: 'plain'; username: string; password: string } {
  return { mechanism: 'plain', username: user.username, password: user.password };
}

/** The local broker of deploy/kafka/kafka-up.sh could not be started (or was not found). */
export class KafkaBrokerUnavailableError extends Error {
  readonly code = 'TESTING.KAFKA_BROKER_UNAVAILABLE';
  constructor(
    message: string,
    readonly output: string,
    options?: { cause?: unknown },
  ) {
    super(output ? `${message}\n${output}` : message, options);
    this.name = 'KafkaBrokerUnavailableError';
  }
}

export const LOCAL_KAFKA_BROKERS = ['127.0.0.1:19092'];
export const LOCAL_KAFKA_SASL_BROKERS = ['127.0.0.1:19093'];

/** First start downloads the jars (minutes); a cached start takes seconds. */
const UP_SCRIPT_TIMEOUT_MS = 15 * 60_000;

let localBroker: Promise<KafkaBrokerEndpoints> | undefined;

/**
 * A Kafka broker for integration tests. With `WARDEN_KAFKA_BROKERS` set (comma-separated),
 * that broker is used as is (`WARDEN_TEST_KAFKA_SASL_BROKERS` names its SASL/PLAIN listener,
 * if any). Otherwise the local broker is started, or found running, by
 * deploy/kafka/kafka-up.sh. Never skips: if no broker can be had, it throws with the
 * script's output (a missing Java or Maven is named there).
 */
export async function ensureKafkaBroker(env: NodeJS.ProcessEnv = process.env): Promise<KafkaBrokerEndpoints> {
  const configured = splitList(env.WARDEN_KAFKA_BROKERS);
  if (configured.length > 0) {
    return { brokers: configured, saslBrokers: splitList(env.WARDEN_TEST_KAFKA_SASL_BROKERS) };
  }
  // The script is idempotent and locked; in one process, run it once.
  localBroker ??= startLocalBroker().catch((error: unknown) => {
    localBroker = undefined;
    throw error;
  });
  return localBroker;
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

async function startLocalBroker(): Promise<KafkaBrokerEndpoints> {
  const script = findUpScript();
  const output = await new Promise<string>((resolvePromise, reject) => {
    execFile(
      'bash',
      [script],
      { cwd: dirname(script), timeout: UP_SCRIPT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: process.env },
      (error, stdout, stderr) => {
        const text = [stderr, stdout].filter((s) => s.trim().length > 0).join('\n').trim();
        if (error) {
          reject(new KafkaBrokerUnavailableError(`${script} failed (${describeExit(error)}):`, text, { cause: error }));
        } else {
          resolvePromise(text);
        }
      },
    );
  });
  if (!output.split('\n').some((line) => line.trim() === LOCAL_KAFKA_BROKERS[0])) {
    throw new KafkaBrokerUnavailableError(`${script} exited 0 but did not report ${LOCAL_KAFKA_BROKERS[0]}:`, output);
  }
  return { brokers: [...LOCAL_KAFKA_BROKERS], saslBrokers: [...LOCAL_KAFKA_SASL_BROKERS] };
}

function describeExit(error: ExecFileException): string {
  if (error.killed) return `killed after ${UP_SCRIPT_TIMEOUT_MS / 1000}s`;
  if (error.signal) return `signal ${error.signal}`;
  return `exit code ${String(error.code)}`;
}

/** deploy/kafka/kafka-up.sh of the repository this file is in (searched upwards). */
function findUpScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'deploy', 'kafka', 'kafka-up.sh');
    if (existsSync(candidate)) return candidate;
    const parent = resolve(dir, '..');
    if (parent === dir) {
      throw new KafkaBrokerUnavailableError(
        `deploy/kafka/kafka-up.sh not found above ${fileURLToPath(import.meta.url)}; set WARDEN_KAFKA_BROKERS to use an existing broker`,
        '',
      );
    }
    dir = parent;
  }
}

/**
 * Creates `name` with `partitions` partitions (replication factor 1) and waits for its
 * leaders. Idempotent: an existing topic with that partition count is left as it is and
 * `false` is returned; an existing topic with another count is an error, not a surprise
 * later. Connects over PLAINTEXT unless `config` (kafkajs options, e.g. `sasl`) says otherwise.
 */
export async function createTopic(
  brokers: string[],
  name: string,
  partitions: number,
  config: Omit<KafkaConfig, 'brokers'> = {},
): Promise<boolean> {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`createTopic(${name}): partitions must be a positive integer, got ${partitions}`);
  }
  const admin = new Kafka({ clientId: 'warden-test-admin', logLevel: logLevel.NOTHING, ...config, brokers }).admin();
  await admin.connect();
  try {
    let created: boolean;
    try {
      created = await admin.createTopics({
        topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
        waitForLeaders: true,
      });
    } catch (error) {
      // Thrown by the wait for leaders, after the broker created the topic.
      if (!isUnknownTopic(error)) throw error;
      await untilLeadersKnown(admin, name, partitions);
      created = true;
    }
    if (!created) {
      const { topics } = await admin.fetchTopicMetadata({ topics: [name] });
      const existing = topics[0]?.partitions.length ?? 0;
      if (existing !== partitions) {
        throw new Error(`createTopic(${name}): the topic exists with ${existing} partitions, not ${partitions}`);
      }
    }
    return created;
  } finally {
    await admin.disconnect();
  }
}

/** How long a new topic's leaders may take to show in a just-started broker's metadata. */
const LEADERS_TIMEOUT_MS = 30_000;

/**
 * A broker that has just started may answer the metadata request for a topic
 * it has just created with "unknown topic": kafkajs's wait for leaders waits
 * out only LEADER_NOT_AVAILABLE and throws this. It happened on one in two
 * fresh starts of the local broker, failing the benchmarks that start it.
 */
function isUnknownTopic(error: unknown): boolean {
  return error instanceof KafkaJSProtocolError && error.type === 'UNKNOWN_TOPIC_OR_PARTITION';
}

async function untilLeadersKnown(admin: Admin, topic: string, partitions: number): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (;;) {
    try {
      const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      if (metadata?.partitions.length === partitions && metadata.partitions.every((p) => p.leader >= 0)) return;
    } catch (error) {
      if (!isUnknownTopic(error)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`createTopic(${topic}): its ${partitions} partitions had no leaders after ${LEADERS_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
