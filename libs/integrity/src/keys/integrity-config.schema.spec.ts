import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { IntegrityConfigError } from '../integrity.errors.js';
import { parseIntegrityConfig } from './integrity-config.schema.js';

const ed25519 = generateKeyPairSync('ed25519');
const privatePem = ed25519.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const publicPem = ed25519.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const x25519Pem = generateKeyPairSync('x25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

function issues(content: unknown) {
  try {
    parseIntegrityConfig(content);
  } catch (error) {
    expect(error).toBeInstanceOf(IntegrityConfigError);
    expect((error as IntegrityConfigError).code).toBe('INTEGRITY.CONFIG_INVALID');
    return (error as IntegrityConfigError).issues;
  }
  throw new Error('expected the configuration to be refused');
}

describe('the integrity section of WARDEN_CONFIG', () => {
  it('is optional: no section means generate (embedded) and trust only the own key', () => {
    expect(parseIntegrityConfig({ http: { port: 8080 } })).toEqual({ trusted_public_keys: [] });
    expect(parseIntegrityConfig(undefined)).toEqual({ trusted_public_keys: [] });
  });

  it('parses keys into key objects that print no key material', () => {
    const config = parseIntegrityConfig({ integrity: { signing_key: privatePem, trusted_public_keys: [publicPem] } });
    expect(config.signing_key?.asymmetricKeyType).toBe('ed25519');
    expect(config.trusted_public_keys.map((k) => k.type)).toEqual(['public']);
    expect(inspect(config)).not.toContain(privatePem.split('\n')[1]);
    expect(JSON.stringify(config)).not.toContain(privatePem.split('\n')[1]);
  });

  it('names each bad setting by its path', () => {
    expect(
      issues({ integrity: { signing_key: x25519Pem, trusted_public_keys: ['not a pem'], signing_key_path: '/x' } }).map((i) => i.path).sort(),
    ).toEqual(['integrity.signing_key', 'integrity.signing_key_path', 'integrity.trusted_public_keys.0']);
    expect(issues({ integrity: { signing_key: x25519Pem } })).toEqual([
      { path: 'integrity.signing_key', message: 'expected an Ed25519 private key, got x25519' },
    ]);
  });

  it('refuses an inline key and a key file together', () => {
    expect(issues({ integrity: { signing_key: privatePem, signing_key_file: '/etc/warden/audit.pem' } })).toEqual([
      { path: 'integrity.signing_key_file', message: 'set signing_key or signing_key_file, not both' },
    ]);
  });

  it('never echoes a refused key in the error', () => {
    const refused = privatePem.replace('PRIVATE KEY-----\n', 'PRIVATE KEY-----\nAAAA');
    const error = (() => {
      try {
        parseIntegrityConfig({ integrity: { signing_key: refused } });
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a refusal');
    })();
    expect(error.message).not.toContain(privatePem.split('\n')[1]);
  });
});
