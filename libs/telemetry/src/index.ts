export * from './logger.js';
export * from './telemetry.module.js';
export * from './telemetry.di-tokens.js';
export type { Logger } from 'pino';
export * from './otel.js';
export * from './tracing.js';
export * from './readiness.js';
