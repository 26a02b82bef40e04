import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HTTP_BODY_LIMIT, configureHttp } from '@warden/api';
import type { WardenConfig } from '@warden/config';
import { registerConsole } from '@warden/console';
import { type Logger, NestPinoLogger } from '@warden/telemetry';
import type { FastifyInstance } from 'fastify';
import { AppModule } from './app.module.js';

/** Builds the all-in-one app (not yet listening). Used by `warden serve` and by the end-to-end tests. */
export async function createWardenApp(
  config: WardenConfig,
  logger: Logger,
  onFatal: (error: unknown) => void = (error) => {
    logger.fatal({ err: error }, 'unrecoverable ingest error');
  },
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: HTTP_BODY_LIMIT,
    // Ids let a rejected event be traced back to its request without logging payloads.
    genReqId: () => crypto.randomUUID(),
    trustProxy: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, onFatal), adapter, {
    logger: new NestPinoLogger(logger.child({ component: 'nest' })),
    abortOnError: false,
    // Warden registers its own parsers (configure-http.ts) so JSON syntax errors name their offset.
    bodyParser: false,
  });
  await configureHttp(app, { rateLimitPerMinute: config.auth.rateLimitPerMinute });
  // The responder's console, at /console/ (outside the /v1 guard: it signs in with a key and calls /v1).
  await registerConsole(app.getHttpAdapter().getInstance() as unknown as FastifyInstance);
  return app;
}
