/**
 * Base of every error a lib raises on purpose. The `code` is stable and
 * machine-readable (`INGEST.BATCH_TOO_LARGE`); the API maps codes to HTTP
 * statuses in one place, so libs never throw transport exceptions.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;

  constructor(
    message: string,
    readonly metadata: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
