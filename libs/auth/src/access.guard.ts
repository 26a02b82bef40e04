import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { ForbiddenError, UnauthenticatedError } from './auth.errors.js';
import { JWT_VERIFIER } from './auth.di-tokens.js';
import { type Caller, type Permission, allows } from './caller.js';
import type { JwtVerifier } from './sso/jwt-verifier.js';

const PUBLIC_ROUTE = 'warden:public-route';
const REQUIRES = 'warden:requires';

/** Marks a route that needs no caller (liveness, readiness). Everything else goes through the guard. */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

/** The one permission a route needs. A route without it is refused to everyone: secure by default. */
export const Requires = (permission: Permission) => SetMetadata(REQUIRES, permission);

interface RequestWithCaller {
  caller?: Caller;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The single place where a request gets a caller, and so a tenant: an API
 * key, the bootstrap admin key, or an SSO JWT. 401 when there is no valid
 * credential, 403 when its role lacks the route's permission.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeyService) private readonly keys: ApiKeyService,
    @Optional() @Inject(JWT_VERIFIER) private readonly jwt: JwtVerifier | null,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    const caller = await this.authenticate(request.headers.authorization);
    if (!caller) throw new UnauthenticatedError();
    request.caller = caller;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(REQUIRES, targets);
    if (!permission) throw new ForbiddenError('a permission this route does not declare');
    if (!allows(caller.role, permission)) throw new ForbiddenError(permission);
    return true;
  }

  private async authenticate(header: string | string[] | undefined): Promise<Caller | null> {
    if (typeof header !== 'string') return null;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return null;
    const token = m[1];
    const byKey = this.keys.authenticate(token);
    if (byKey) return byKey;
    if (this.jwt && token.split('.').length === 3) return this.jwt.verify(token);
    return null;
  }
}

/** Injects the guard's Caller into a handler parameter. */
export const CurrentCaller = createParamDecorator((_: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (!caller) throw new Error('route reached without passing the access guard');
  return caller;
});
