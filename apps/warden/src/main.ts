import { ConfigError, loadConfig } from '@warden/config';
import { createLogger } from '@warden/telemetry';
import { createWardenApp } from './warden.app.js';

/** `warden serve`: validate config before anything starts, then listen. */
export async function serve(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`warden: cannot start. ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const app = await createWardenApp(config, logger);
  await app.listen({ port: config.http.port, host: config.http.host });
  logger.info(
    { url: `http://${config.http.host}:${config.http.port}`, storage: config.clickhouse.kind, data_dir: config.dataDir },
    'warden listening',
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  serve().catch((error: unknown) => {
    process.stderr.write(`warden: failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
