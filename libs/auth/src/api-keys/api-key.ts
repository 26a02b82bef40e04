import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * `wdn_<id>_<secret>`: the id (12 hex) is how a key is found and listed, the
 * secret (32 random bytes) is only ever stored as a SHA-256 hash. A hash is
 * enough (no slow KDF) because the secret is random, not a human password.
 */
const KEY = /^wdn_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  id: string;
  key: string;
  hash: string;
}

export function generateApiKey(): GeneratedKey {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const key = `wdn_${id}_${secret}`;
  return { id, key, hash: hashSecret(key) };
}

export function parseApiKey(token: string): { id: string } | null {
  const m = KEY.exec(token);
  return m ? { id: m[1] } : null;
}

export function hashSecret(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
