export * from './agent-action.factory.js';
export * from './temp-dir.js';
export * from './kafka-broker.js';
