import { type KeyObject, createPrivateKey, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { IntegrityConfigError } from '../integrity.errors.js';

/**
 * A PEM text parsed into a KeyObject on the spot: a bad key stops start-up
 * with the setting's path, and the private key never lives on as a string
 * that a logged config object could print (a KeyObject prints no material).
 */
const ed25519Pem = (kind: 'private' | 'public') =>
  z.string().transform((pem, ctx): KeyObject => {
    try {
      const key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
      if (key.asymmetricKeyType === 'ed25519') return key;
      ctx.addIssue({ code: 'custom', message: `expected an Ed25519 ${kind} key, got ${key.asymmetricKeyType ?? 'a symmetric key'}` });
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a PEM-encoded Ed25519 ${kind} key` });
    }
    return z.NEVER;
  });

/** The `integrity` section of the WARDEN_CONFIG file. Every field is optional: the embedded default needs none. */
export const integrityConfigSchema = z
  .strictObject({
    /** The signing key itself (PKCS#8 PEM). */
    signing_key: ed25519Pem('private').optional(),
    /** Or a file holding it; read at start. */
    signing_key_file: z.string().min(1).optional(),
    /**
     * Public keys (SPKI PEM) whose digests this Warden also accepts: keys
     * retired by rotation, and the keys of other Warden processes writing to
     * the same ClickHouse.
     */
    trusted_public_keys: z.array(ed25519Pem('public')).default([]),
  })
  .refine((c) => c.signing_key === undefined || c.signing_key_file === undefined, {
    message: 'set signing_key or signing_key_file, not both',
    path: ['signing_key_file'],
  });

export type IntegrityConfig = z.output<typeof integrityConfigSchema>;

const fileSchema = z.looseObject({ integrity: z.unknown().optional() });

/** Reads the `integrity` section of the parsed WARDEN_CONFIG file (`WardenConfig.file.content`); throws listing every problem. */
export function parseIntegrityConfig(fileContent: unknown): IntegrityConfig {
  const file = fileSchema.safeParse(fileContent ?? {});
  if (!file.success) throw new IntegrityConfigError([{ path: '(root)', message: 'expected a mapping at the top of the file' }]);
  const parsed = integrityConfigSchema.safeParse(file.data.integrity ?? {});
  if (parsed.success) return parsed.data;
  const at = (path: PropertyKey[]) => ['integrity', ...path.map(String)].join('.');
  throw new IntegrityConfigError(
    parsed.error.issues.flatMap((issue) =>
      // An unknown setting is named by its own path, so a typo points at itself.
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: at([...issue.path, key]), message: 'unknown setting' }))
        : [{ path: at(issue.path), message: issue.message }],
    ),
  );
}
