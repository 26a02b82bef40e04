/* global sessionStorage */
/**
 * The credential lives in sessionStorage: it survives a reload of this tab,
 * not the closing of it, and is never shared with other tabs or sent as a cookie.
 */
const KEY = 'warden.console.credential';

export function getCredential() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setCredential(value) {
  sessionStorage.setItem(KEY, value);
}

export function clearCredential() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // storage unavailable: nothing to clear
  }
}
