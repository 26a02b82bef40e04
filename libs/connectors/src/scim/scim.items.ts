import { z } from 'zod';

/**
 * What a SCIM user holds, as items. `scim.active` is the right to sign in:
 * present when the user is active, absent when not (so a user who was
 * already inactive is not activated by a rollback). `scim.group` is a direct
 * membership, named by the group's id, the only stable name SCIM gives a
 * group (display names may change and need not be unique). Memberships
 * inherited through nested groups are not the user's own and not items.
 */
export const scimActiveSchema = z.strictObject({ kind: z.literal('scim.active') });

export const scimGroupMembershipSchema = z.strictObject({
  kind: z.literal('scim.group'),
  group_id: z.string().min(1).max(1_024),
});

export const scimAccessItemSchema = z.discriminatedUnion('kind', [scimActiveSchema, scimGroupMembershipSchema]);
export type ScimAccessItem = z.infer<typeof scimAccessItemSchema>;
export type ScimGroupMembership = z.infer<typeof scimGroupMembershipSchema>;
