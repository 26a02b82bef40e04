import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DomainError } from '@warden/common';
import { WARDEN_CONFIG, type WardenConfig } from '@warden/config';
import { LOGGER, type Logger } from '@warden/telemetry';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Caller, DEFAULT_TENANT, type Role } from '../caller.js';
import { generateApiKey, hashSecret, parseApiKey, sameHash } from './api-key.js';
import type { ApiKeyRecord, ApiKeyRepository } from './api-key.repository.js';
import { API_KEY_REPOSITORY } from '../auth.di-tokens.js';

export class ApiKeyNotFoundError extends DomainError {
  readonly code = 'AUTH.KEY_NOT_FOUND';
}

export type ApiKeyView = Omit<ApiKeyRecord, 'hash'> & { prefix: string };

const view = (r: ApiKeyRecord): ApiKeyView => {
  const { hash: _hash, ...rest } = r;
  return { ...rest, prefix: `wdn_${r.id}_` };
};

/**
 * API keys: shown once at creation, stored only as a hash, found by their
 * id prefix. Kept in memory and refreshed every few seconds, so a key
 * revoked through another instance stops working within that interval.
 */
@Injectable()
export class ApiKeyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private keys = new Map<string, ApiKeyRecord>();
  private refreshTimer?: NodeJS.Timeout;
  private readonly bootstrapHash?: string;

  constructor(
    @Inject(API_KEY_REPOSITORY) private readonly repository: ApiKeyRepository,
    @Inject(WARDEN_CONFIG) private readonly config: WardenConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    if (config.auth.bootstrapAdminKey) this.bootstrapHash = hashSecret(config.auth.bootstrapAdminKey);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.refresh();
    if (this.keys.size === 0 && !this.bootstrapHash && this.config.clickhouse.kind === 'embedded') {
      await this.createFirstAdminKey();
    }
    this.refreshTimer = setInterval(() => void this.refresh().catch(() => undefined), 5000);
    this.refreshTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.refreshTimer);
  }

  /** The caller a bearer token stands for, or null. Never says why a token failed. */
  authenticate(token: string): Caller | null {
    if (this.bootstrapHash && sameHash(hashSecret(token), this.bootstrapHash)) {
      return { tenant: DEFAULT_TENANT, actor: 'bootstrap-admin', role: 'admin' };
    }
    const parsed = parseApiKey(token);
    if (!parsed) return null;
    const record = this.keys.get(parsed.id);
    if (!record || record.revoked_at !== null || !sameHash(hashSecret(token), record.hash)) return null;
    return { tenant: record.tenant, actor: `key:${record.id}`, role: record.role };
  }

  async create(tenant: string, role: Role, name: string, createdBy: string): Promise<ApiKeyView & { key: string }> {
    const generated = generateApiKey();
    const record: ApiKeyRecord = {
      id: generated.id,
      tenant,
      role,
      name,
      hash: generated.hash,
      created_by: createdBy,
      created_at: new Date().toISOString(),
      revoked_at: null,
    };
    await this.repository.save(record);
    this.keys.set(record.id, record);
    return { ...view(record), key: generated.key };
  }

  async revoke(tenant: string, id: string): Promise<ApiKeyView> {
    const record = this.keys.get(id);
    if (!record || record.tenant !== tenant) throw new ApiKeyNotFoundError(`no API key "${id}"`);
    const revoked = { ...record, revoked_at: record.revoked_at ?? new Date().toISOString() };
    await this.repository.save(revoked);
    this.keys.set(id, revoked);
    return view(revoked);
  }

  list(tenant: string): ApiKeyView[] {
    return [...this.keys.values()].filter((k) => k.tenant === tenant).sort((a, b) => a.created_at.localeCompare(b.created_at)).map(view);
  }

  private async refresh(): Promise<void> {
    this.keys = new Map((await this.repository.all()).map((k) => [k.id, k]));
  }

  /** First embedded start: one admin key, printed once (not logged) and kept 0600 in the data dir. */
  private async createFirstAdminKey(): Promise<void> {
    const created = await this.create(DEFAULT_TENANT, 'admin', 'first admin key', 'warden:first-start');
    const file = join(this.config.dataDir, 'initial-admin-key');
    writeFileSync(file, `${created.key}\n`, { mode: 0o600 });
    process.stdout.write(
      `\n  Warden created an admin API key for the "default" tenant. It is shown once:\n\n    ${created.key}\n\n  (also saved, readable by this user only, in ${file}; delete that file once you have stored the key)\n\n`,
    );
    this.logger.info({ key_id: created.id }, 'created the first admin API key');
  }
}
