import { type DynamicModule, Global, Module } from '@nestjs/common';
import { WARDEN_CONFIG } from './config.di-tokens.js';
import type { WardenConfig } from './warden-config.js';

/** Makes the already-validated configuration injectable everywhere under WARDEN_CONFIG. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: WardenConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: WARDEN_CONFIG, useValue: config }],
      exports: [WARDEN_CONFIG],
    };
  }
}
