import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { Readiness } from './readiness.js';
import { LOGGER } from './telemetry.di-tokens.js';

@Global()
@Module({})
export class TelemetryModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: TelemetryModule,
      providers: [{ provide: LOGGER, useValue: logger }, Readiness],
      exports: [LOGGER, Readiness],
    };
  }
}
