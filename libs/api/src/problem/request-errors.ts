import { DomainError } from '@warden/common';

export class RequestValidationError extends DomainError {
  readonly code = 'REQUEST.INVALID';
  constructor(
    readonly where: 'query' | 'body' | 'path',
    readonly errors: { path: string; message: string }[],
  ) {
    super(`invalid request ${where}: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'REQUEST.UNSUPPORTED_MEDIA_TYPE';
}
