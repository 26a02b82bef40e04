import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../connector.errors.js';
import { classifyKafkaError } from './kafka-acl.errors.js';

const {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
} = kafkajs;

const protocolError = (type: string, code: number, retriable: boolean) => new KafkaJSProtocolError({ type, code, retriable, message: `${type} happened` } as unknown as Error);

const classify = (error: unknown) => {
  const typed = classifyKafkaError(error, 'test');
  return typed instanceof ConnectorError ? { code: typed.code, retriable: typed.retriable } : typed;
};

const UNAVAILABLE = { code: 'CONNECTOR.UNAVAILABLE', retriable: true };
const REJECTED = { code: 'CONNECTOR.REJECTED', retriable: false };

describe('classifyKafkaError', () => {
  it('retries lost connections and request timeouts', () => {
    expect(classify(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'))).toEqual(UNAVAILABLE);
    expect(classify(new KafkaJSRequestTimeoutError('Request DescribeAcls(key: 29, version: 1) timed out'))).toEqual(UNAVAILABLE);
  });

  it('retries protocol errors Kafka marks as retriable, and refuses the others', () => {
    expect(classify(protocolError('NOT_CONTROLLER', 41, true))).toEqual(UNAVAILABLE);
    expect(classify(protocolError('CLUSTER_AUTHORIZATION_FAILED', 31, false))).toEqual(REJECTED);
    expect(classify(protocolError('INVALID_REQUEST', 42, false))).toEqual(REJECTED);
  });

  it('looks through a give-up after retries to the error that caused it', () => {
    const connection = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    expect(classify(new KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 0, retryTime: 300 }))).toEqual(UNAVAILABLE);
    const refused = protocolError('SECURITY_DISABLED', 54, false);
    expect(classify(new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 0, retryTime: 300 }))).toEqual(REJECTED);
  });

  it('refuses failed authentication and invalid arguments', () => {
    // Typed without constructor arguments, built with a message at run time.
    expect(classify(Reflect.construct(KafkaJSSASLAuthenticationError, ['SASL PLAIN authentication failed']))).toEqual(REJECTED);
    expect(classify(new KafkaJSNonRetriableError('Invalid resource type 99'))).toEqual(REJECTED);
  });

  it('keeps the Kafka error type for people reading the ledger', () => {
    const typed = classifyKafkaError(protocolError('CLUSTER_AUTHORIZATION_FAILED', 31, false), 'kafka-main.revoke') as ConnectorError;
    expect(typed.message).toBe('kafka-main.revoke: CLUSTER_AUTHORIZATION_FAILED happened (CLUSTER_AUTHORIZATION_FAILED)');
    expect(typed.metadata).toEqual({ context: 'kafka-main.revoke', kafka_error: 'KafkaJSProtocolError', kafka_type: 'CLUSTER_AUTHORIZATION_FAILED' });
  });

  it('leaves errors that are not from kafkajs untyped, so they are never retried', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(classify(bug)).toBe(bug);
  });
});
