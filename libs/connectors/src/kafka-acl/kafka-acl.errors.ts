import kafkajs from 'kafkajs';
import { ConnectorError, ConnectorRejectedError, ConnectorUnavailableError } from '../connector.errors.js';

const { KafkaJSError, KafkaJSSASLAuthenticationError } = kafkajs;
type KafkaJSErrorInstance = InstanceType<typeof KafkaJSError>;

/**
 * kafkajs wraps the error that decided an outcome: a give-up after retries
 * (`KafkaJSNumberOfRetriesExceeded`, never retriable itself) carries the
 * connection error or protocol error that caused it. The innermost kafkajs
 * error is the one that says whether trying again could help.
 */
function innermost(error: KafkaJSErrorInstance): KafkaJSErrorInstance {
  let current = error;
  for (let depth = 0; depth < 10; depth++) {
    const cause: unknown = current.cause;
    if (!(cause instanceof KafkaJSError)) break;
    current = cause;
  }
  return current;
}

/**
 * Types an error from kafkajs so retry decisions can rely on it: lost or
 * refused connections, request timeouts and protocol errors Kafka marks as
 * retriable (NOT_CONTROLLER, REQUEST_TIMED_OUT, ...) are worth another go;
 * failed authentication, authorization and invalid requests are refusals.
 * Errors that do not come from kafkajs (bugs) are returned unchanged and,
 * being untyped, never retried.
 */
export function classifyKafkaError(error: unknown, context: string): unknown {
  if (error instanceof ConnectorError) return error;
  if (!(error instanceof KafkaJSError)) return error;
  const decisive = innermost(error);
  const type = (decisive as { type?: unknown }).type;
  const metadata = { context, kafka_error: decisive.name, ...(typeof type === 'string' ? { kafka_type: type } : {}) };
  const message = `${context}: ${decisive.message}${typeof type === 'string' ? ` (${type})` : ''}`;
  const retriable = decisive.retriable && !(decisive instanceof KafkaJSSASLAuthenticationError);
  return retriable
    ? new ConnectorUnavailableError(message, metadata, { cause: error })
    : new ConnectorRejectedError(message, metadata, { cause: error });
}
