import type { ClickHouseClient } from '@clickhouse/client';

export class StorageHealth {
  constructor(private readonly client: ClickHouseClient) {}

  async check(): Promise<{ ok: boolean; error?: string }> {
    try {
      const result = await this.client.ping();
      return result.success ? { ok: true } : { ok: false, error: String(result.error.message) };
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
  }
}
