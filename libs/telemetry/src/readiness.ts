import { Injectable } from '@nestjs/common';

export type ReadinessCheck = () => Promise<{ ok: boolean; error?: string }>;

/** What /readyz asks: storage, and Kafka when it is configured. Components register their own check. */
@Injectable()
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async evaluate(): Promise<{ ok: boolean; checks: Record<string, 'ok' | 'down'>; errors: Record<string, string> }> {
    const checks: Record<string, 'ok' | 'down'> = {};
    const errors: Record<string, string> = {};
    await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        const result = await check().catch((error: unknown) => ({ ok: false, error: (error as Error).message }));
        checks[name] = result.ok ? 'ok' : 'down';
        if (!result.ok && result.error) errors[name] = result.error;
      }),
    );
    return { ok: Object.values(checks).every((c) => c === 'ok'), checks, errors };
  }
}
