import { DatabaseError } from 'pg';
import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../connector.errors.js';
import { classifyPostgresError } from './postgres.errors.js';

function dbError(code: string, message = 'boom'): DatabaseError {
  const e = new DatabaseError(message, 0, 'error');
  e.code = code;
  return e;
}

const classify = (error: unknown) => {
  const typed = classifyPostgresError(error, 'test');
  return typed instanceof ConnectorError ? { code: typed.code, retriable: typed.retriable } : typed;
};

describe('classifyPostgresError', () => {
  it.each(['08006', '53300', '40001', '40P01', '55P03', '57014', '57P01', '57P03'])('treats SQLSTATE %s as worth retrying', (code) => {
    expect(classify(dbError(code))).toEqual({ code: 'CONNECTOR.UNAVAILABLE', retriable: true });
  });

  it.each(['42501', '42704', '42P01', '2BP01', '0LP01'])('treats SQLSTATE %s as a refusal', (code) => {
    expect(classify(dbError(code))).toEqual({ code: 'CONNECTOR.REJECTED', retriable: false });
  });

  it('retries the catalog race of concurrent GRANTs, not other internal errors', () => {
    expect(classify(dbError('XX000', 'tuple concurrently updated'))).toEqual({ code: 'CONNECTOR.UNAVAILABLE', retriable: true });
    expect(classify(dbError('XX000', 'cache lookup failed'))).toEqual({ code: 'CONNECTOR.REJECTED', retriable: false });
  });

  it('retries network failures and lost connections', () => {
    expect(classify(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toEqual({
      code: 'CONNECTOR.UNAVAILABLE',
      retriable: true,
    });
    expect(classify(new Error('Connection terminated unexpectedly'))).toEqual({ code: 'CONNECTOR.UNAVAILABLE', retriable: true });
  });

  it('leaves errors it does not recognise untyped, so they are never retried', () => {
    const bug = new TypeError('undefined is not a function');
    expect(classify(bug)).toBe(bug);
  });

  it('keeps the SQLSTATE for people reading the ledger', () => {
    const typed = classifyPostgresError(dbError('42501', 'permission denied for table orders'), 'revoke') as ConnectorError;
    expect(typed.message).toBe('revoke: permission denied for table orders (SQLSTATE 42501)');
    expect(typed.metadata).toEqual({ sqlstate: '42501', context: 'revoke' });
  });
});
