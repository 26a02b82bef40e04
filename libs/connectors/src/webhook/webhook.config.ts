import { z } from 'zod';
import { identityMappingSchema } from '../identity/identity-mapping.js';
import { retryPolicySchema } from '../resilience/with-retry.js';

const endpoint = z.url({ protocol: /^https?$/, message: 'an http(s) URL' });

/**
 * A customer's own system, reached by signed webhooks: Warden POSTs what to
 * revoke and restore, and (optionally) asks what the principal holds.
 * Every request is signed with `secret` (see webhook.signature.ts); the
 * receiver must check the signature before acting.
 */
export const webhookConnectorConfigSchema = z.strictObject({
  kind: z.literal('webhook'),
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,127}$/, 'lower-case letters, digits, "-" and "_"'),
  urls: z.strictObject({
    revoke: endpoint,
    restore: endpoint,
    /** Answers with the JSON list of items the principal holds. Without it, the snapshot is one `webhook.access` item. */
    snapshot: endpoint.optional(),
  }),
  /** HMAC-SHA256 key shared with the receiver. */
  secret: z.string().min(16, 'at least 16 characters'),
  /** The identity the receiver knows the principal by; the principal's id unless mapped. */
  identity: identityMappingSchema.prefault({ template: '{principal}' }),
  retry: retryPolicySchema.prefault({}),
  /** Bound on any one request, the receiver's answer included. */
  request_timeout_ms: z.int().min(100).max(600_000).default(10_000),
});
export type WebhookConnectorConfigInput = z.input<typeof webhookConnectorConfigSchema>;
export type WebhookConnectorConfig = z.output<typeof webhookConnectorConfigSchema>;
