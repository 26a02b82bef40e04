import type { LoggerService } from '@nestjs/common';
import { isProgrammingError } from '@warden/common';
import pino, { type Logger } from 'pino';

/** The longest message, and the most stack frames, kept of an error that is not a bug. */
const MAX_ERROR_MESSAGE = 300;
const MAX_ERROR_FRAMES = 4;

/**
 * How a logged `err` is written. A bug (TypeError and kin) keeps its whole
 * stack and causes: that is what fixing it takes. Any other error (the
 * engine, the network, a domain rule) keeps its type, code, a domain error's
 * metadata, the start of its message and of its stack, and its cause's type
 * and message start: the embedded engine's message quotes the failing
 * statement (ids, literals, even row data) and repeats it through each
 * cause, which made one log line several KiB of what the first 300
 * characters already said. Log an error as `err`, whole: this cuts it.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (isProgrammingError(error)) return pino.stdSerializers.err(error);
  const brief: Record<string, unknown> = { type: error.constructor.name, message: cut(error.message) };
  const { code, metadata } = error as { code?: unknown; metadata?: unknown };
  if (code !== undefined) brief.code = code;
  // A domain error's metadata is what it chose to say about itself.
  if (metadata !== null && typeof metadata === 'object' && Object.keys(metadata).length > 0) brief.metadata = metadata;
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, MAX_ERROR_FRAMES);
  if (frames.length > 0) brief.stack = frames.map((f) => f.trim()).join('\n');
  if (error.cause instanceof Error) brief.cause = { type: error.cause.constructor.name, message: cut(error.cause.message) };
  return brief;
}

function cut(message: string): string {
  return message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE)}…` : message;
}

/**
 * Structured JSON logs. Event payloads and credentials never go to info: the
 * redact list is a second line of defence for fields that must never appear.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'warden' },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError },
      redact: {
        paths: [
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          '*.apiKey',
          '*.secret',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** Lets Nest's own log lines go through the same structured logger. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
