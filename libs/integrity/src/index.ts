export { GENESIS_DIGEST, batchDigest, eventHash, type BatchDigestInput, type DigestedEvent } from './digest/batch-digest.js';
export { AuditDigestRepository, type AuditDigestRow, type ChainHead } from './digest/audit-digest.repository.js';
export { DigestWriter, digestInputFromRow, type DigestInput } from './digest/digest-writer.js';
export { integrityConfigSchema, parseIntegrityConfig, type IntegrityConfig } from './keys/integrity-config.schema.js';
export { EMBEDDED_KEY_FILE, IntegrityKeyring, keyIdOf, loadIntegrityKeyring, type SignatureCheck } from './keys/integrity-keyring.js';
export { AuditKeyRepository, type PublishedKey } from './keys/audit-key.repository.js';
export { ChainVerifier, type ChainVerifierOptions } from './verify/chain-verifier.js';
export {
  CHAIN_BREAK_KINDS,
  parseVerifyQuery,
  verifyQuerySchema,
  type ChainBreak,
  type ChainBreakKind,
  type VerifyQuery,
  type VerifyResult,
} from './verify/verify-result.js';
export * from './integrity.errors.js';
export { INTEGRITY_MIGRATIONS, INTEGRITY_TABLES } from './integrity.migrations.js';
export { INTEGRITY_KEYRING } from './integrity.di-tokens.js';
export { IntegrityModule } from './integrity.module.js';
