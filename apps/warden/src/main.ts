import type { INestApplication } from '@nestjs/common';
import { ConfigError, type WardenConfig, loadConfig } from '@warden/config';
import { type Logger, createLogger, startTelemetry } from '@warden/telemetry';
import { createWardenApp } from './warden.app.js';

function configOrExit(): WardenConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`warden: cannot start. ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/**
 * Drains and exits: the in-flight Kafka chunk is finished and committed, the
 * consumer leaves its group, storage is closed. Bounded by WARDEN_SHUTDOWN_TIMEOUT_MS.
 */
function installShutdown(app: INestApplication, logger: Logger, timeoutMs: number, telemetryShutdown: () => Promise<void>): (exitCode: number) => void {
  let closing = false;
  return (exitCode) => {
    if (closing) return;
    closing = true;
    logger.info({ exit_code: exitCode }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeout_ms: timeoutMs }, 'shutdown timed out');
      process.exit(exitCode === 0 ? 1 : exitCode);
    }, timeoutMs);
    timer.unref();
    app.close().then(
      () => telemetryShutdown().finally(() => process.exit(exitCode)),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(exitCode === 0 ? 1 : exitCode);
      },
    );
  };
}

/** `warden serve`: validate config before anything starts, then listen; SIGTERM drains and exits 0. */
export async function serve(): Promise<void> {
  const config = configOrExit();
  // Before the app, so every instrument and span is created against the real providers.
  const telemetry = startTelemetry();
  const logger = createLogger(config.logLevel);
  let shutdown: (exitCode: number) => void = (code) => process.exit(code);
  const app = await createWardenApp(config, logger, (error) => {
    logger.fatal({ err: error }, 'unrecoverable ingest error; draining and exiting');
    shutdown(70); // EX_SOFTWARE
  });
  shutdown = installShutdown(app, logger, config.shutdownTimeoutMs, () => telemetry.shutdown());
  process.once('SIGTERM', () => shutdown(0));
  process.once('SIGINT', () => shutdown(0));
  await app.listen({ port: config.http.port, host: config.http.host });
  logger.info(
    {
      url: `http://${config.http.host}:${config.http.port}`,
      storage: config.clickhouse.kind,
      data_dir: config.dataDir,
      kafka: config.kafka ? { brokers: config.kafka.brokers, topic: config.kafka.topic } : 'off',
    },
    'warden listening',
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  serve().catch((error: unknown) => {
    process.stderr.write(`warden: failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
