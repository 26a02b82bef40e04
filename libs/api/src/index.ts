export * from './api.module.js';
export * from './http/configure-http.js';
export * from './problem/problem-details.js';
export * from './problem/request-errors.js';
