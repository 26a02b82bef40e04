export * from './caller.js';
export * from './access.guard.js';
export * from './auth.errors.js';
export * from './auth.module.js';
export { ApiKeyService, ApiKeyNotFoundError, type ApiKeyView } from './api-keys/api-key.service.js';
export { AUTH_MIGRATIONS } from './api-keys/api-key.repository.js';
export { generateApiKey, parseApiKey } from './api-keys/api-key.js';
export { AuditLog, type AuditRecord } from './audit/audit-log.js';
