import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { LOCAL_KAFKA_BROKERS, LOCAL_KAFKA_SASL_BROKERS, ensureKafkaBroker } from '@warden/testing';

const run = promisify(execFile);

async function brokerAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({ clientId: 'warden-test-probe', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * One broker for the whole integration run, started before any test file
 * (so files do not race to start it) and stopped after, if this run started
 * it. A broker already answering on the local ports (another checkout's, a
 * developer's) is reused rather than fought over.
 */
export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.WARDEN_KAFKA_BROKERS) return async () => {};
  if (await brokerAnswers(LOCAL_KAFKA_BROKERS)) {
    process.env.WARDEN_KAFKA_BROKERS = LOCAL_KAFKA_BROKERS.join(',');
    process.env.WARDEN_TEST_KAFKA_SASL_BROKERS = LOCAL_KAFKA_SASL_BROKERS.join(',');
    return async () => {};
  }
  const { brokers, saslBrokers } = await ensureKafkaBroker();
  process.env.WARDEN_KAFKA_BROKERS = brokers.join(',');
  process.env.WARDEN_TEST_KAFKA_SASL_BROKERS = saslBrokers.join(',');
  return async () => {
    await run('bash', [join(import.meta.dirname, '..', 'deploy', 'kafka', 'kafka-down.sh')]);
  };
}
