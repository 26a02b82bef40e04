import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));
const lib = (name: string) => resolve(root, `libs/${name}/src/index.ts`);

// Nest relies on decorator metadata, which esbuild does not emit; SWC does.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    alias: {
      '@warden/common': lib('common'),
      '@warden/config': lib('config'),
      '@warden/contracts': lib('contracts'),
      '@warden/storage': lib('storage'),
      '@warden/ingestion': lib('ingestion'),
      '@warden/api': lib('api'),
      '@warden/auth': lib('auth'),
      '@warden/telemetry': lib('telemetry'),
      '@warden/testing': lib('testing'),
      '@warden/detection': lib('detection'),
      '@warden/alerting': lib('alerting'),
      '@warden/response': lib('response'),
      '@warden/connectors': lib('connectors'),
      '@warden/integrity': lib('integrity'),
      '@warden/console': lib('console'),
    },
  },
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['libs/**/*.int-spec.ts', 'test/**/*.e2e-spec.ts'],
          globalSetup: ['test/kafka-broker.global-setup.ts'],
        },
      },
    ],
  },
});
