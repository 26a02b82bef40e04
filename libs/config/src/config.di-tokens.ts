export const WARDEN_CONFIG = Symbol('WARDEN_CONFIG');
