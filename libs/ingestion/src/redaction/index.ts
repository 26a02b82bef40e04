export { redactEvent, FREE_TEXT_FIELDS, type Redaction, type RedactedEvent } from './redact-event.js';
export { redactText, type RedactedText } from './redact-text.js';
export { RedactionCounter } from './redaction-counter.js';
export { SECRET_KINDS, type SecretKind, redactionMarker } from './secret-patterns.js';
