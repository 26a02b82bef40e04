import { Writable } from 'node:stream';
import { DomainError } from '@warden/common';
import { describe, expect, it } from 'vitest';
import { createLogger, serializeError } from './logger.js';

/** A logger writing into memory: the JSON lines a collector would receive. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger('info', destination) };
}

/** What the embedded engine throws: the statement quoted, and the same text again in each cause. */
function engineError(): Error {
  const statement = `SELECT DISTINCT detection_id FROM warden.alert_detections WHERE detection_id IN [${Array.from({ length: 50 }, (_, i) => `'id-${i}'`).join(', ')}]`;
  const root = new Error(`Code: 60. DB::Exception: Unknown table expression identifier 'warden.alert_detections' in scope ${statement}`);
  const error = new Error(`Unknown table expression identifier 'warden.alert_detections' in scope ${statement}: ${root.message}`, { cause: root });
  (error as Error & { code: string }).code = '60';
  return error;
}

class OutboxUnavailableError extends DomainError {
  readonly code = 'ALERTING.OUTBOX_UNAVAILABLE';
}

describe('an error in a log line', () => {
  it('that is not a bug keeps its type, code, the start of its message and stack, and its cause in brief', () => {
    const logged = serializeError(engineError()) as Record<string, string & { message: string }>;
    expect(logged).toMatchObject({ type: 'Error', code: '60', cause: { type: 'Error' } });
    expect(logged.message).toHaveLength(301);
    expect(logged.message.startsWith("Unknown table expression identifier 'warden.alert_detections'")).toBe(true);
    expect(logged.message.endsWith('…')).toBe(true);
    expect(logged.cause.message.length).toBeLessThanOrEqual(301);
    expect(logged.stack.split('\n').length).toBeLessThanOrEqual(4);
    expect(logged.stack).not.toContain('DB::Exception');
  });

  it('that is a bug keeps its whole message and stack', () => {
    const bug = new TypeError(`Cannot read properties of undefined (reading 'tenant') ${'x'.repeat(400)}`);
    const logged = serializeError(bug) as { type: string; message: string; stack: string };
    expect(logged.type).toBe('TypeError');
    expect(logged.message).toBe(bug.message);
    expect(logged.stack).toBe(bug.stack);
  });

  it('that is a domain error keeps the metadata it chose to carry', () => {
    const logged = serializeError(new OutboxUnavailableError('the outbox cannot be written', { sink: 'soc-webhook' }));
    expect(logged).toMatchObject({ type: 'OutboxUnavailableError', code: 'ALERTING.OUTBOX_UNAVAILABLE', message: 'the outbox cannot be written', metadata: { sink: 'soc-webhook' } });
  });

  it('that was already made plain is written as given', () => {
    expect(serializeError({ message: 'socket hang up' })).toEqual({ message: 'socket hang up' });
  });

  it('is written that way by the service logger: one engine failure is one short line', () => {
    const { lines, logger } = capturedLogger();
    logger.error({ listener: 'alerting', err: engineError() }, 'detection listener failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ listener: 'alerting', msg: 'detection listener failed', err: { type: 'Error', code: '60' } });
    expect(JSON.stringify(lines[0]).length).toBeLessThan(2_000);
    expect(JSON.stringify(lines[0])).not.toContain("'id-49'");
  });
});
