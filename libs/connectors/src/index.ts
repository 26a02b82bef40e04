export * from './access-item.js';
export * from './connector.js';
export * from './connector.errors.js';
export * from './resilience/with-retry.js';
export * from './identity/identity-mapping.js';
export * from './postgres/postgres.items.js';
export * from './postgres/postgres.config.js';
export { PostgresConnector } from './postgres/postgres.connector.js';
