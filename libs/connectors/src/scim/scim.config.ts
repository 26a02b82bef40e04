import { z } from 'zod';
import { identityMappingSchema } from '../identity/identity-mapping.js';
import { retryPolicySchema } from '../resilience/with-retry.js';

/**
 * One SCIM 2.0 service provider (RFC 7644): its base URL (the one that
 * `/Users` and `/Groups` hang off), the bearer token Warden calls it with,
 * and how principals map to `userName`s.
 *
 * The token must be allowed to read Users and Groups, filter them, and PATCH
 * a user's `active` and a group's `members`.
 */
export const scimConnectorConfigSchema = z.strictObject({
  kind: z.literal('scim'),
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,127}$/, 'lower-case letters, digits, "-" and "_"'),
  base_url: z
    .url({ protocol: /^https?$/, message: 'an http(s) URL' })
    .transform((url) => url.replace(/\/+$/, '')),
  bearer_token: z.string().min(1),
  identity: identityMappingSchema,
  retry: retryPolicySchema.prefault({}),
  /** Bound on any one HTTP request, body included. */
  request_timeout_ms: z.int().min(100).max(600_000).default(10_000),
  /** Groups asked for per page when listing a user's memberships. */
  page_size: z.int().min(1).max(1_000).default(100),
});
export type ScimConnectorConfigInput = z.input<typeof scimConnectorConfigSchema>;
export type ScimConnectorConfig = z.output<typeof scimConnectorConfigSchema>;
