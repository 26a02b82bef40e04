import type { ClickHouseClient } from '@clickhouse/client';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { WARDEN_CONFIG, type WardenConfig } from '@warden/config';
import { CLICKHOUSE_CLIENT, TABLE_NAMES, type TableNames } from '@warden/storage';
import { AccessGuard } from './access.guard.js';
import { ApiKeyRepository } from './api-keys/api-key.repository.js';
import { ApiKeyService } from './api-keys/api-key.service.js';
import { AuditLog } from './audit/audit-log.js';
import { API_KEY_REPOSITORY, JWT_VERIFIER } from './auth.di-tokens.js';
import { JwtVerifier } from './sso/jwt-verifier.js';

@Global()
@Module({
  providers: [
    {
      provide: API_KEY_REPOSITORY,
      inject: [CLICKHOUSE_CLIENT, TABLE_NAMES],
      useFactory: (c: ClickHouseClient, t: TableNames) => new ApiKeyRepository(c, t),
    },
    {
      provide: JWT_VERIFIER,
      inject: [WARDEN_CONFIG],
      useFactory: (config: WardenConfig) => (config.auth.oidc ? new JwtVerifier(config.auth.oidc) : null),
    },
    ApiKeyService,
    AuditLog,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [ApiKeyService, AuditLog],
})
export class AuthModule {}
