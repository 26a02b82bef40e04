import type { ClickHouseClient } from '@clickhouse/client';
import { fromClickHouseDateTime64, instantFromDate, toClickHouseDateTime64, toRfc3339Utc } from '@warden/common';
import type { TableNames } from '@warden/storage';
import { INTEGRITY_TABLES } from '../integrity.migrations.js';
import type { IntegrityKeyring } from './integrity-keyring.js';

export interface PublishedKey {
  key_id: string;
  algorithm: 'ed25519';
  public_key_pem: string;
  /** RFC 3339, UTC. */
  registered_at: string;
}

/**
 * Publishes the public half of each signing key, so someone outside can pin
 * it and check digests independently. Published, not trusted: the verifier
 * takes its keys from configuration, never from this table.
 */
export class AuditKeyRepository {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly tables: TableNames,
  ) {}

  /** Records the keyring's signing key once; a key already listed keeps its first registration time. */
  async register(keyring: IntegrityKeyring, now: Date = new Date()): Promise<void> {
    const existing = await this.client.query({
      query: `SELECT count() AS n FROM ${this.tables.table(INTEGRITY_TABLES.keys)} WHERE key_id = {id:String}`,
      query_params: { id: keyring.keyId },
      format: 'JSONEachRow',
    });
    const [row] = await existing.json<{ n: string | number }>();
    if (Number(row?.n ?? 0) > 0) return;
    await this.client.insert({
      table: this.tables.table(INTEGRITY_TABLES.keys),
      values: [
        {
          key_id: keyring.keyId,
          algorithm: 'ed25519',
          public_key_pem: keyring.publicKeyPem,
          registered_at: toClickHouseDateTime64(instantFromDate(now)),
        },
      ],
      format: 'JSONEachRow',
    });
  }

  async list(): Promise<PublishedKey[]> {
    const rs = await this.client.query({
      query: `SELECT key_id, any(algorithm) AS algorithm, any(public_key_pem) AS public_key_pem,
                     toString(min(registered_at)) AS registered_at_text
              FROM ${this.tables.table(INTEGRITY_TABLES.keys)} GROUP BY key_id ORDER BY key_id`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ key_id: string; algorithm: string; public_key_pem: string; registered_at_text: string }>();
    return rows.map((r) => ({ key_id: r.key_id, algorithm: 'ed25519', public_key_pem: r.public_key_pem, registered_at: toRfc3339Utc(fromClickHouseDateTime64(r.registered_at_text)) }));
  }
}
