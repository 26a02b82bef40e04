import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Caller, DEFAULT_TENANT } from './caller.js';

const PUBLIC_ROUTE = 'warden:public-route';

/** Marks a route that needs no caller (liveness, readiness). Everything else goes through the guard. */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

interface RequestWithCaller {
  caller?: Caller;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The single place where a request gets a caller, and so a tenant. Until
 * credentials exist every caller is the default tenant's admin; an
 * Authorization header is accepted and ignored so clients can send one now.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<RequestWithCaller>();
    request.caller = { tenant: DEFAULT_TENANT, actor: 'anonymous', role: 'admin' };
    return true;
  }
}

/** Injects the guard's Caller into a handler parameter. */
export const CurrentCaller = createParamDecorator((_: unknown, context: ExecutionContext): Caller => {
  const caller = context.switchToHttp().getRequest<RequestWithCaller>().caller;
  if (!caller) throw new Error('route reached without passing the access guard');
  return caller;
});
