/** Who is making a request, as established by the access guard. Handlers never read the tenant from input. */
export interface Caller {
  tenant: string;
  /** Stable identifier of the credential or user, for audit records. */
  actor: string;
  role: 'ingest' | 'analyst' | 'responder' | 'admin';
}

export const DEFAULT_TENANT = 'default';
