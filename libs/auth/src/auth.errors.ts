import { DomainError } from '@warden/common';

/** Missing or bad credentials. The message never says which, nor whether a key exists. */
export class UnauthenticatedError extends DomainError {
  readonly code = 'AUTH.UNAUTHENTICATED';
  constructor() {
    super('send a valid credential: Authorization: Bearer <API key or SSO token>');
  }
}

/** Valid credentials, not allowed to do this. */
export class ForbiddenError extends DomainError {
  readonly code = 'AUTH.FORBIDDEN';
  constructor(permission: string) {
    super(`your role does not allow this (needs ${permission})`);
  }
}
