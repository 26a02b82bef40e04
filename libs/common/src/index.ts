export * from './domain-error.js';
export * from './timestamp.js';
export * from './keyed-mutex.js';
export * from './retry.js';
export * from './canonical-json/canonical-json.js';
