import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@warden/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { INTEGRITY_ERROR } from '../integrity.errors.js';
import { parseIntegrityConfig } from './integrity-config.schema.js';
import { EMBEDDED_KEY_FILE, IntegrityKeyring, keyIdOf, loadIntegrityKeyring } from './integrity-keyring.js';

const dirs: { cleanup: () => void }[] = [];
const dataDir = () => {
  const d = tempDir('warden-keyring-');
  dirs.push(d);
  return d.path;
};
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

const message = Buffer.from('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', 'hex');
const pkcs8 = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

describe('the integrity keyring', () => {
  it('names a key by the first 128 bits of the SHA-256 of its raw public key', () => {
    const keyring = IntegrityKeyring.generate();
    const raw = createPublicKey(keyring.publicKeyPem).export({ format: 'der', type: 'spki' }).subarray(-32);
    expect(keyring.keyId).toBe(createHash('sha256').update(raw).digest('hex').slice(0, 32));
    expect(keyIdOf(createPublicKey(keyring.publicKeyPem))).toBe(keyring.keyId);
  });

  it('verifies its own signatures and nothing altered', () => {
    const keyring = IntegrityKeyring.generate();
    const signature = keyring.sign(message);
    expect(signature).toMatch(/^[0-9a-f]{128}$/);
    expect(keyring.verify(keyring.keyId, message, signature)).toBe('valid');
    expect(keyring.verify(keyring.keyId, Buffer.from(message).fill(0, 0, 1), signature)).toBe('invalid');
    // Flip every bit of the last byte: always a different signature (setting it to 00 is not, once in 256 runs).
    const flipped = (parseInt(signature.slice(-2), 16) ^ 0xff).toString(16).padStart(2, '0');
    expect(keyring.verify(keyring.keyId, message, `${signature.slice(0, -2)}${flipped}`)).toBe('invalid');
    expect(keyring.verify(keyring.keyId, message, 'not hex')).toBe('invalid');
  });

  it('accepts signatures of configured public keys, and calls any other key unknown', () => {
    const retired = IntegrityKeyring.generate();
    const keyring = IntegrityKeyring.generate([createPublicKey(retired.publicKeyPem)]);
    expect(keyring.verify(retired.keyId, message, retired.sign(message))).toBe('valid');
    const stranger = IntegrityKeyring.generate();
    expect(keyring.verify(stranger.keyId, message, stranger.sign(message))).toBe('unknown_key');
    expect(keyring.trustedKeyIds()).toEqual([keyring.keyId, retired.keyId].sort());
  });
});

describe('loading the keyring', () => {
  it('generates the embedded key on first start, owner-only, and reuses it after', async () => {
    const dir = dataDir();
    const first = await loadIntegrityKeyring({ config: parseIntegrityConfig({}), generateIn: dir });
    const path = join(dir, EMBEDDED_KEY_FILE);
    expect(path).toBe(join(dir, 'keys', 'audit-ed25519.pem'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const again = await loadIntegrityKeyring({ config: parseIntegrityConfig({}), generateIn: dir });
    expect(again.keyId).toBe(first.keyId);
  });

  it('ends with one key when several processes start on an empty data dir at once', async () => {
    const dir = dataDir();
    const keyrings = await Promise.all(
      Array.from({ length: 8 }, () => loadIntegrityKeyring({ config: parseIntegrityConfig({}), generateIn: dir })),
    );
    expect(new Set(keyrings.map((k) => k.keyId)).size).toBe(1);
  });

  it('stops, and keeps the file, when the key file is not a key (replacing it would orphan its digests)', async () => {
    const dir = dataDir();
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, EMBEDDED_KEY_FILE), 'garbage');
    await expect(loadIntegrityKeyring({ config: parseIntegrityConfig({}), generateIn: dir })).rejects.toMatchObject({
      code: INTEGRITY_ERROR.KEY_UNREADABLE,
    });
    expect(readFileSync(join(dir, EMBEDDED_KEY_FILE), 'utf8')).toBe('garbage');
  });

  it('uses the configured key, inline or from a file, in preference to generating one', async () => {
    const pem = pkcs8();
    const expected = IntegrityKeyring.fromPrivateKey(parseIntegrityConfig({ integrity: { signing_key: pem } }).signing_key!).keyId;
    const dir = dataDir();
    const inline = await loadIntegrityKeyring({ config: parseIntegrityConfig({ integrity: { signing_key: pem } }), generateIn: dir });
    expect(inline.keyId).toBe(expected);
    const file = join(dir, 'configured.pem');
    writeFileSync(file, pem);
    const fromFile = await loadIntegrityKeyring({ config: parseIntegrityConfig({ integrity: { signing_key_file: file } }) });
    expect(fromFile.keyId).toBe(expected);
    expect(() => statSync(join(dir, EMBEDDED_KEY_FILE))).toThrow();
  });

  it('requires a configured key when there is no embedded data dir to keep one in', async () => {
    await expect(loadIntegrityKeyring({ config: parseIntegrityConfig({}) })).rejects.toMatchObject({ code: INTEGRITY_ERROR.KEY_MISSING });
  });

  it('names the configured key file that cannot be read', async () => {
    const missing = join(dataDir(), 'nope.pem');
    await expect(loadIntegrityKeyring({ config: parseIntegrityConfig({ integrity: { signing_key_file: missing } }) })).rejects.toMatchObject({
      code: INTEGRITY_ERROR.KEY_UNREADABLE,
      metadata: { path: missing },
    });
  });
});
