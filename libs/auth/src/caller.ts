import { z } from 'zod';

export const roleSchema = z.enum(['ingest', 'analyst', 'responder', 'admin']);
export type Role = z.infer<typeof roleSchema>;

/** Who is making a request, as established by the access guard. Handlers never read the tenant from input. */
export interface Caller {
  tenant: string;
  /** Stable identifier of the credential or user, for audit records (`key:<id>`, `sso:<sub>`, `bootstrap`). */
  actor: string;
  role: Role;
}

export const DEFAULT_TENANT = 'default';

/** What a role may do. Each route names the one permission it needs. */
export type Permission = 'events:write' | 'schema:read' | 'history:read' | 'response:act' | 'admin';

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  ingest: ['events:write', 'schema:read'],
  analyst: ['schema:read', 'history:read'],
  responder: ['schema:read', 'history:read', 'response:act'],
  admin: ['events:write', 'schema:read', 'history:read', 'response:act', 'admin'],
};

export function allows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
