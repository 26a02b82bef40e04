import { DatabaseError } from 'pg';
import { ConnectorError, ConnectorRejectedError, ConnectorUnavailableError } from '../connector.errors.js';

/**
 * SQLSTATEs that say "not now" rather than "no": connection trouble,
 * resource exhaustion, shutdowns, serialisation conflicts, lock and
 * statement timeouts. Everything else the server says is a refusal.
 */
const RETRIABLE_CLASSES = ['08', '53'];
const RETRIABLE_CODES = new Set(['40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03']);

/** Socket-level failures reported by Node, before any SQLSTATE exists. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** pg's own messages for a connection that went away or never came. */
const CONNECTION_MESSAGES = [/^Connection terminated/, /timeout exceeded when trying to connect/, /Client has encountered a connection error/];

function isRetriableSqlState(error: DatabaseError): boolean {
  const code = error.code ?? '';
  if (RETRIABLE_CLASSES.some((c) => code.startsWith(c)) || RETRIABLE_CODES.has(code)) return true;
  // Concurrent GRANTs on one object race on its catalog row; the loser simply tries again.
  return code === 'XX000' && /tuple concurrently updated/.test(error.message);
}

/**
 * Types an error from the pg driver so retry decisions can rely on it.
 * Errors that are neither from the server nor from the network (bugs) are
 * returned unchanged and, being untyped, never retried.
 */
export function classifyPostgresError(error: unknown, context: string): unknown {
  if (error instanceof ConnectorError) return error;
  if (error instanceof DatabaseError) {
    const metadata = { sqlstate: error.code, context };
    const message = `${context}: ${error.message} (SQLSTATE ${error.code ?? 'unknown'})`;
    return isRetriableSqlState(error)
      ? new ConnectorUnavailableError(message, metadata, { cause: error })
      : new ConnectorRejectedError(message, metadata, { cause: error });
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code && NETWORK_CODES.has(code)) || CONNECTION_MESSAGES.some((m) => m.test(error.message))) {
      return new ConnectorUnavailableError(`${context}: ${error.message}`, { code, context }, { cause: error });
    }
  }
  return error;
}
