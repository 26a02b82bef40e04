import type { WardenConfig } from '@warden/config';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { type Caller, roleSchema } from '../caller.js';

/** SSO: a bearer JWT signed by the issuer's JWKS, for the configured audience, naming a tenant and a role. */
export class JwtVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly oidc: NonNullable<WardenConfig['auth']['oidc']>) {
    this.jwks = createRemoteJWKSet(new URL(oidc.jwksUrl));
  }

  async verify(token: string): Promise<Caller | null> {
    try {
      const { payload } = await jwtVerify(token, this.jwks, { issuer: this.oidc.issuer, audience: this.oidc.audience });
      const tenant = payload[this.oidc.tenantClaim];
      const role = roleSchema.safeParse(payload[this.oidc.roleClaim]);
      if (typeof tenant !== 'string' || tenant.length === 0 || !role.success || typeof payload.sub !== 'string') return null;
      return { tenant, role: role.data, actor: `sso:${payload.sub}` };
    } catch {
      return null;
    }
  }
}
