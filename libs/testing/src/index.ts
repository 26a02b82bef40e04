export * from './agent-action.factory.js';
export * from './temp-dir.js';
