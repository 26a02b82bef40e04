/** The slice of a structured logger alerting needs; pino's Logger fits. Fields never include secrets. */
export interface AlertingLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: AlertingLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
