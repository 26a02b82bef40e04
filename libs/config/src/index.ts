export * from './env.schema.js';
export * from './warden-config.js';
export * from './config.module.js';
export * from './config.di-tokens.js';
