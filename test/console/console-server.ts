import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { envSchema, loadConfig } from '@warden/config';
import { createLogger } from '@warden/telemetry';
import { createWardenApp } from '../../apps/warden/src/warden.app.js';

/**
 * The key the console e2e signs in with. API keys arrive as `wdn_…`; the
 * bootstrap admin key must be at least 24 characters, so the fallback is
 * long enough to be accepted by the config schema.
 */
export const CONSOLE_TEST_KEY = process.env.WARDEN_BOOTSTRAP_ADMIN_KEY ?? 'wdn_test_admin_key_console_e2e';

/** WARDEN_BOOTSTRAP_ADMIN_KEY, only where the config schema knows it (unknown WARDEN_* variables stop start-up). */
export function bootstrapKeyEnv(key: string): Record<string, string> {
  const shape = envSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } } | undefined>;
  const field = shape.WARDEN_BOOTSTRAP_ADMIN_KEY;
  if (!field) return {};
  if (!field.safeParse(key).success) throw new Error('the console test key is not a valid WARDEN_BOOTSTRAP_ADMIN_KEY');
  return { WARDEN_BOOTSTRAP_ADMIN_KEY: key };
}

export interface RunningConsole {
  app: NestFastifyApplication;
  url: string;
  close: () => Promise<void>;
}

/**
 * The all-in-one app (which serves the console at /console/) on a free loopback port.
 */
export async function startWardenWithConsole(env: Record<string, string>): Promise<RunningConsole> {
  const config = loadConfig({ WARDEN_LOG_LEVEL: 'warn', ...env });
  const app = await createWardenApp(config, createLogger(config.logLevel));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}
