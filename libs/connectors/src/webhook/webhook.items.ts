import { z } from 'zod';
import { accessItemSchema } from '../access-item.js';

/**
 * Items of a webhook target are the receiver's own: any JSON object whose
 * `kind` starts with `webhook.` (e.g. `{kind: 'webhook.role', role: 'admin'}`),
 * handed back to it unchanged on revoke and restore. The prefix is what lets
 * the connector refuse items of other connectors.
 */
export const webhookAccessItemSchema = accessItemSchema.refine((item) => /^webhook\.[a-z0-9_.-]+$/i.test(item.kind), {
  message: 'kind must start with "webhook."',
  path: ['kind'],
});
export type WebhookAccessItem = z.infer<typeof webhookAccessItemSchema>;

/** The snapshot of a receiver that cannot list holdings: "the principal has access", revoked and restored as a whole. */
export const webhookAccessSchema = z.strictObject({ kind: z.literal('webhook.access'), principal: z.string().min(1) });
export type WebhookAccess = z.infer<typeof webhookAccessSchema>;

/** What a receiver's snapshot URL must answer: the list of items. */
export const webhookSnapshotAnswerSchema = z.array(webhookAccessItemSchema);
