import type { ClickHouseClient } from '@clickhouse/client';
import { Module } from '@nestjs/common';
import { WARDEN_CONFIG, type WardenConfig } from '@warden/config';
import { CLICKHOUSE_CLIENT, TABLE_NAMES, type TableNames } from '@warden/storage';
import { LOGGER, type Logger } from '@warden/telemetry';
import { AuditDigestRepository } from './digest/audit-digest.repository.js';
import { DigestWriter } from './digest/digest-writer.js';
import { INTEGRITY_KEYRING } from './integrity.di-tokens.js';
import { AuditKeyRepository } from './keys/audit-key.repository.js';
import { parseIntegrityConfig } from './keys/integrity-config.schema.js';
import { type IntegrityKeyring, loadIntegrityKeyring } from './keys/integrity-keyring.js';
import { ChainVerifier } from './verify/chain-verifier.js';

/** Attempts at storing a batch's digest (about 3 s of backoff at the default policy) before its write fails. */
const DIGEST_ATTEMPTS = 5;

/**
 * The keyring, the digest writer and the chain verifier, over the storage
 * module's ClickHouse client. The schema must hold INTEGRITY_MIGRATIONS
 * (pass them to StorageModule.forRoot). The key is generated in the data dir
 * only for the embedded engine; against a server it must be configured.
 */
@Module({
  providers: [
    {
      provide: INTEGRITY_KEYRING,
      inject: [WARDEN_CONFIG],
      useFactory: (config: WardenConfig) =>
        loadIntegrityKeyring({
          config: parseIntegrityConfig(config.file.content),
          generateIn: config.clickhouse.kind === 'embedded' ? config.dataDir : undefined,
        }),
    },
    {
      provide: AuditKeyRepository,
      inject: [CLICKHOUSE_CLIENT, TABLE_NAMES],
      useFactory: (c: ClickHouseClient, t: TableNames) => new AuditKeyRepository(c, t),
    },
    {
      provide: DigestWriter,
      inject: [CLICKHOUSE_CLIENT, TABLE_NAMES, AuditKeyRepository, INTEGRITY_KEYRING, WARDEN_CONFIG, LOGGER],
      useFactory: (c: ClickHouseClient, t: TableNames, keys: AuditKeyRepository, keyring: IntegrityKeyring, config: WardenConfig, logger: Logger) =>
        new DigestWriter(new AuditDigestRepository(c, t), keys, keyring, undefined, {
          policy: config.retry,
          maxAttempts: DIGEST_ATTEMPTS,
          onRetry: (error, attempt, delayMs) =>
            logger.warn({ attempt, retry_in_ms: delayMs, err: error }, 'storing a digest failed; retrying'),
        }),
    },
    {
      provide: ChainVerifier,
      inject: [CLICKHOUSE_CLIENT, TABLE_NAMES, INTEGRITY_KEYRING, WARDEN_CONFIG],
      useFactory: (c: ClickHouseClient, t: TableNames, keyring: IntegrityKeyring, config: WardenConfig) =>
        new ChainVerifier(c, t, keyring, { retentionDays: config.retentionDays }),
    },
  ],
  exports: [INTEGRITY_KEYRING, AuditKeyRepository, DigestWriter, ChainVerifier],
})
export class IntegrityModule {}
