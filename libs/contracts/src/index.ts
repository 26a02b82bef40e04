export * from './agent-action/agent-action.schema.js';
export * from './agent-action/agent-action.validation.js';
export * from './agent-action/agent-action.json-schema.js';
export * from './action-query/action-query.schema.js';
export * from './access-item/access-item.schema.js';
