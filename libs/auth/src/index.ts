export * from './caller.js';
export * from './access.guard.js';
export * from './auth.module.js';
