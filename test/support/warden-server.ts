import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@warden/config';
import { createLogger, startTelemetry } from '@warden/telemetry';
import { createWardenApp } from '../../apps/warden/src/warden.app.js';

/** The admin credential every test app accepts (WARDEN_BOOTSTRAP_ADMIN_KEY). */
export const TEST_ADMIN_KEY = 'wdn-test-bootstrap-admin-key-0001';
export const ADMIN_AUTH = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

export interface RunningWarden {
  app: NestFastifyApplication;
  url: string;
  close: () => Promise<void>;
}

/** Starts the all-in-one app on a free loopback port over the given data dir (embedded engine unless env says otherwise). */
export async function startWarden(env: Record<string, string>): Promise<RunningWarden> {
  startTelemetry({ env: {} });
  const config = loadConfig({ WARDEN_LOG_LEVEL: 'warn', WARDEN_BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY, ...env });
  const app = await createWardenApp(config, createLogger(config.logLevel));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}

/** Small fetch helpers that keep the tests about behaviour rather than plumbing. */
export function http(base: string, key: string | null = TEST_ADMIN_KEY) {
  const auth: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  const call = async (method: string, path: string, body?: string, contentType = 'application/json') => {
    const response = await fetch(new URL(path, base), {
      method,
      headers: body === undefined ? auth : { ...auth, 'content-type': contentType },
      body,
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', json: json as any, text };
  };
  return {
    get: (path: string) => call('GET', path),
    postEvents: (events: unknown[]) => call('POST', '/v1/events', JSON.stringify(events)),
    post: call.bind(null, 'POST'),
    delete: (path: string) => call('DELETE', path),
  };
}
