export const API_KEY_REPOSITORY = Symbol('API_KEY_REPOSITORY');
export const JWT_VERIFIER = Symbol('JWT_VERIFIER');
