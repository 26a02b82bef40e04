import { type KeyObject, createHash, randomUUID, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SigningKeyMissingError, SigningKeyUnreadableError } from '../integrity.errors.js';
import type { IntegrityConfig } from './integrity-config.schema.js';

export type SignatureCheck = 'valid' | 'invalid' | 'unknown_key';

/** Where the embedded default keeps its generated key, relative to the data dir. */
export const EMBEDDED_KEY_FILE = join('keys', 'audit-ed25519.pem');

/**
 * The key that signs digests, and the public keys a verifier accepts. A
 * key's id is the first 128 bits (hex) of the SHA-256 of its raw 32-byte
 * public key, so anyone holding the public key can recompute it.
 */
export class IntegrityKeyring {
  readonly keyId: string;
  /** SPKI PEM of the signing key's public half, for outside verifiers. */
  readonly publicKeyPem: string;
  private readonly trusted = new Map<string, KeyObject>();

  private constructor(
    private readonly privateKey: KeyObject,
    trustedPublicKeys: readonly KeyObject[],
  ) {
    const publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(publicKey);
    this.publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    this.trusted.set(this.keyId, publicKey);
    for (const key of trustedPublicKeys) this.trusted.set(keyIdOf(key), key);
  }

  static fromPrivateKey(privateKey: KeyObject, trustedPublicKeys: readonly KeyObject[] = []): IntegrityKeyring {
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
      throw new TypeError('the audit signing key must be an Ed25519 private key');
    }
    return new IntegrityKeyring(privateKey, trustedPublicKeys);
  }

  /** A fresh key held only in memory (tests, one-off tools). */
  static generate(trustedPublicKeys: readonly KeyObject[] = []): IntegrityKeyring {
    return new IntegrityKeyring(generateKeyPairSync('ed25519').privateKey, trustedPublicKeys);
  }

  /** Ed25519 over the message (a batch digest's 32 bytes); hex. */
  sign(message: Buffer): string {
    return sign(null, message, this.privateKey).toString('hex');
  }

  /** Checks a signature against the trusted key of that id; an untrusted id is a failure of its own kind. */
  verify(keyId: string, message: Buffer, signatureHex: string): SignatureCheck {
    const key = this.trusted.get(keyId);
    if (!key) return 'unknown_key';
    if (!/^[0-9a-f]{128}$/.test(signatureHex)) return 'invalid';
    return verify(null, message, key, Buffer.from(signatureHex, 'hex')) ? 'valid' : 'invalid';
  }

  trustedKeyIds(): string[] {
    return [...this.trusted.keys()].sort();
  }
}

export function keyIdOf(publicKey: KeyObject): string {
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  return createHash('sha256').update(raw).digest('hex').slice(0, 32);
}

/**
 * The keyring from configuration: the configured key (inline or file), or,
 * for the embedded engine only (`generateIn` = the data dir), the key kept
 * in `<dataDir>/keys/audit-ed25519.pem`, generated on first start.
 */
export async function loadIntegrityKeyring(options: { config: IntegrityConfig; generateIn?: string }): Promise<IntegrityKeyring> {
  const { config } = options;
  const trusted = config.trusted_public_keys;
  if (config.signing_key) return IntegrityKeyring.fromPrivateKey(config.signing_key, trusted);
  if (config.signing_key_file) return IntegrityKeyring.fromPrivateKey(await readKeyFile(config.signing_key_file), trusted);
  if (options.generateIn === undefined) throw new SigningKeyMissingError();
  return IntegrityKeyring.fromPrivateKey(await loadOrCreateKeyFile(join(options.generateIn, EMBEDDED_KEY_FILE)), trusted);
}

async function readKeyFile(path: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    throw new SigningKeyUnreadableError(path, `cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new SigningKeyUnreadableError(path, 'not a PEM private key', error);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyUnreadableError(path, `not an Ed25519 key (${key.asymmetricKeyType})`);
  return key;
}

/**
 * Reads the key file, or creates it if there is none. Creation is atomic and
 * first-writer-wins (write a private temp file, then hard-link it into
 * place, which fails if the name exists), so two processes starting on one
 * data dir end up with the same key. An unreadable existing file stops
 * start-up: replacing it would orphan every digest it signed.
 */
async function loadOrCreateKeyFile(path: string): Promise<KeyObject> {
  try {
    return await readKeyFile(path);
  } catch (error) {
    const notFound = error instanceof SigningKeyUnreadableError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    if (!notFound) throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, pem, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp);
  }
  return readKeyFile(path);
}
