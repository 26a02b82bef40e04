import { describe, expect, it } from 'vitest';
import { kafkaAclConnectorConfigSchema } from './kafka-acl.config.js';
import { KafkaAclConnector } from './kafka-acl.connector.js';

/** Nothing here connects: the client is created lazily per attempt. */
const config = (overrides: Record<string, unknown> = {}) =>
  kafkaAclConnectorConfigSchema.parse({
    kind: 'kafka-acl',
    name: 'kafka-main',
    brokers: ['127.0.0.1:1'],
    identity: { map: { everyone: '*', self: 'warden-admin', bell: 'a\u0007b' }, template: 'agent-{principal}' },
    ...overrides,
  });
const principal = (id: string) => ({ tenant: 'acme', id });

describe('KafkaAclConnector principals', () => {
  it('maps a principal to a Kafka user', () => {
    expect(new KafkaAclConnector(config()).principalFor(principal('support-bot'))).toBe('User:agent-support-bot');
  });

  it('refuses the wildcard user, control characters, and the connector’s own admin', () => {
    const withSasl = new KafkaAclConnector(config({ sasl: { mechanism: 'scram-sha-512', username: 'warden-admin', password: 'x' } }));
    for (const id of ['everyone', 'self', 'bell']) {
      expect(() => withSasl.principalFor(principal(id))).toThrow(expect.objectContaining({ code: 'CONNECTOR.UNMAPPED_PRINCIPAL' }));
    }
    const anonymous = new KafkaAclConnector(config({ identity: { map: { a: 'ANONYMOUS' } } }));
    expect(() => anonymous.principalFor(principal('a'))).toThrow(expect.objectContaining({ code: 'CONNECTOR.UNMAPPED_PRINCIPAL' }));
  });

  it('refuses foreign and malformed items before touching the cluster', async () => {
    const connector = new KafkaAclConnector(config());
    await expect(connector.revoke(principal('support-bot'), [{ kind: 'pg.login' }])).rejects.toMatchObject({
      code: 'CONNECTOR.INVALID_ITEM',
    });
    const deny = {
      kind: 'kafka.acl',
      resource_type: 'TOPIC',
      resource_name: 'orders',
      pattern_type: 'LITERAL',
      operation: 'READ',
      permission_type: 'DENY',
      host: '*',
    };
    await expect(connector.restore(principal('support-bot'), [deny])).rejects.toMatchObject({
      code: 'CONNECTOR.INVALID_ITEM',
      metadata: { issues: ['0.permission_type: Invalid input: expected "ALLOW"'] },
    });
  });
});

describe('kafkaAclConnectorConfigSchema', () => {
  it('fills bounded defaults', () => {
    const parsed = config();
    expect(parsed).toMatchObject({
      ssl: false,
      client_id: 'warden-connector',
      connection_timeout_ms: 3_000,
      request_timeout_ms: 10_000,
      propagation_timeout_ms: 5_000,
      retry: { max_attempts: 3, initial_delay_ms: 200, max_delay_ms: 5_000, timeout_ms: 30_000 },
    });
    expect(parsed.sasl).toBeUndefined();
  });

  it('rejects broker lists that are empty or not host:port, and unknown SASL mechanisms', () => {
    const paths = (input: Record<string, unknown>) => {
      const r = kafkaAclConnectorConfigSchema.safeParse({ kind: 'kafka-acl', name: 'k', identity: { template: '{principal}' }, ...input });
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    expect(paths({ brokers: [] })).toEqual(['brokers']);
    expect(paths({ brokers: ['kafka-1'] })).toEqual(['brokers.0']);
    expect(paths({ brokers: ['kafka-1:9092'], sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } })).toEqual(['sasl.mechanism']);
    expect(paths({ brokers: ['kafka-1:9092'] })).toEqual([]);
  });
});
