import { z } from 'zod';
import type { PrincipalRef } from '../connector.js';
import { UnmappedPrincipalError } from '../connector.errors.js';

const PLACEHOLDER = /\{([^}]*)\}/g;
const KNOWN_PLACEHOLDERS = new Set(['principal', 'tenant']);

/**
 * How a Warden principal becomes an identity on a target (a database role,
 * a Kafka user, a SCIM user). An explicit map wins; otherwise the template,
 * where `{principal}` and `{tenant}` are replaced. Principals matched by
 * neither have no identity there, which is an error, not a silent skip.
 */
export const identityMappingSchema = z
  .strictObject({
    map: z.record(z.string().min(1), z.string().min(1)).default({}),
    template: z
      .string()
      .min(1)
      .refine((t) => t.includes('{principal}'), { message: 'a template must contain {principal}' })
      .refine((t) => [...t.matchAll(PLACEHOLDER)].every(([, name]) => KNOWN_PLACEHOLDERS.has(name)), {
        message: 'a template may only use {principal} and {tenant}',
      })
      .optional(),
  })
  .refine((m) => Object.keys(m.map).length > 0 || m.template !== undefined, {
    message: 'give an explicit map, a template, or both',
  });
export type IdentityMapping = z.output<typeof identityMappingSchema>;

export function resolveIdentity(mapping: IdentityMapping, principal: PrincipalRef): string {
  const mapped = Object.hasOwn(mapping.map, principal.id) ? mapping.map[principal.id] : undefined;
  if (mapped !== undefined) return mapped;
  if (mapping.template === undefined) throw new UnmappedPrincipalError(principal.id, 'not in the explicit map and no template is set');
  return mapping.template.replace(PLACEHOLDER, (_, name: string) => (name === 'tenant' ? principal.tenant : principal.id));
}
