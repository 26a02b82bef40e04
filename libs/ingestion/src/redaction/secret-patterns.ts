/**
 * The secret shapes Warden masks before an event is stored. Each is a
 * precompiled, global regex built so that it cannot backtrack
 * catastrophically: character classes do not overlap their delimiters, and
 * the only unbounded repetitions are single classes anchored by a literal
 * prefix (so work stays linear in the length of the text).
 *
 * A pattern may name groups `pre` and `post`: text the match needs as
 * context but that is kept (the `Bearer ` before a token, the user and host
 * around a URL password). Everything else in the match is the secret.
 */
export interface SecretPattern {
  /** Stable kind, shown in the marker and counted: `[REDACTED:<kind>]`. */
  readonly kind: SecretKind;
  readonly regex: RegExp;
  /** A literal the pattern cannot match without: the full regex runs only on text that holds it. */
  readonly trigger: RegExp;
  /** A second look at a candidate secret, for shapes a regex alone would over-match. */
  readonly accept?: (secret: string) => boolean;
}

export const SECRET_KINDS = [
  'private-key',
  'aws-access-key',
  'aws-secret-key',
  'github-token',
  'slack-token',
  'stripe-key',
  'anthropic-key',
  'openai-key',
  'google-api-key',
  'bearer-token',
  'basic-auth',
  'jwt',
  'url-password',
  'named-secret',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

export const REDACTION_MARKER_PREFIX = '[REDACTED:';
export const redactionMarker = (kind: SecretKind): string => `${REDACTION_MARKER_PREFIX}${kind}]`;

const hasDigit = (s: string): boolean => /\d/.test(s);

/**
 * Order matters: a pattern runs on the output of the ones before it, and a
 * marker never matches a later pattern. So a whole PEM block goes first
 * (before anything inside it is seen as a token); vendor shapes go before
 * generic contexts, so the kind says whose credential leaked (`Bearer ghp_…`
 * counts as a github-token, `sk-ant-` as anthropic before `sk-`); and the
 * `Bearer` context goes before the bare JWT shape.
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    // The whole block, armour lines included. A block cut short (a truncated
    // attribute) is masked to the end of the text: the rest of it is key material.
    kind: 'private-key',
    trigger: /PRIVATE KEY/,
    regex: /-----BEGIN ((?:[A-Z0-9]{1,20} ){0,3})PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END \1PRIVATE KEY\2-----|$)/g,
  },
  {
    // Long-term (AKIA) and temporary (ASIA) access key ids: 4 + 16 upper-case alphanumerics.
    kind: 'aws-access-key',
    trigger: /AKIA|ASIA/,
    regex: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  {
    // 40 base64 characters carry no prefix of their own, so only the
    // credentials-file / env-var context identifies them; the name is kept.
    kind: 'aws-secret-key',
    trigger: /secret_?access/i,
    regex: /(?<pre>aws_?secret_?access_?key["']?\s{0,4}[:=]\s{0,4}["']?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/gi,
  },
  {
    // Classic tokens (ghp_ personal, gho_ OAuth, ghu_ user-to-server, ghs_ server-to-server, ghr_ refresh)
    // and fine-grained personal access tokens.
    kind: 'github-token',
    trigger: /gh[pousr]_|github_pat_/,
    regex: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?![A-Za-z0-9_])/g,
  },
  {
    // Bot, user, app-level, refresh and legacy tokens: xoxb-123-456-abc…
    kind: 'slack-token',
    trigger: /xox[abprs]-/,
    regex: /(?<![A-Za-z0-9])xox[abprs]-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+(?![A-Za-z0-9])/g,
    accept: (s) => s.length >= 20 && hasDigit(s),
  },
  {
    // Live secret and restricted keys; test-mode keys cannot move money.
    kind: 'stripe-key',
    trigger: /k_live_/,
    regex: /(?<![A-Za-z0-9_])[rs]k_live_[A-Za-z0-9]{20,247}(?![A-Za-z0-9_])/g,
  },
  {
    kind: 'anthropic-key',
    trigger: /sk-ant-/,
    regex: /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])/g,
  },
  {
    // Project, service-account and admin keys carry a second prefix and may
    // contain - and _; legacy keys are one run of alphanumerics. A hyphenated
    // word after "sk-" (sk-learn-style names) is neither.
    kind: 'openai-key',
    trigger: /sk-/,
    regex: /(?<![A-Za-z0-9_-])sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,})(?![A-Za-z0-9_-])/g,
    accept: hasDigit,
  },
  {
    kind: 'google-api-key',
    trigger: /AIza/,
    regex: /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g,
  },
  {
    // The token after "Bearer" (an Authorization header, or its value alone).
    // Tokens are long and hold a digit; prose after the word "bearer" does not.
    kind: 'bearer-token',
    trigger: /earer/,
    regex: /(?<pre>\b[Bb]earer[ \t]+)[A-Za-z0-9._~+/-]{16,}=*/g,
    accept: hasDigit,
  },
  {
    // Basic credentials are base64(user:password): a password in all but name.
    kind: 'basic-auth',
    trigger: /basic/i,
    regex: /(?<pre>\bAuthorization["']?\s{0,4}[:=]\s{0,4}["']?Basic[ \t]+)[A-Za-z0-9+/]{8,}={0,2}/gi,
  },
  {
    // header.payload.signature, base64url; both JSON segments start `{"` = eyJ.
    kind: 'jwt',
    trigger: /eyJ/,
    regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])/g,
  },
  {
    // scheme://user:password@host: the user and host stay (they say where the
    // credential worked), the password goes, up to the last @ before the path
    // (an unencoded @ in a password is common). A marker already there is left.
    kind: 'url-password',
    trigger: /:\/\//,
    regex: /(?<pre>\b[A-Za-z][A-Za-z0-9+.-]{0,20}:\/\/[^\s:/?#@[\]]{1,256}:)(?!\[REDACTED:)[^\s/?#]{1,256}(?<post>@)/g,
  },
];

/**
 * A cheap first look: the union of the triggers above, so text without any
 * of them (most text) is skipped with a single scan.
 */
export const SECRET_TRIGGER = /PRIVATE KEY|AKIA|ASIA|secret_?access|gh[pousr]_|github_pat_|xox[abprs]-|k_live_|sk-|AIza|earer|Basic|eyJ|:\/\//i;

/**
 * Shorter strings are not scanned: every key and token shape above is
 * longer. Only a URL with a password could be shorter (`ftp://u:p@h`); that
 * blind spot is the price of not scanning every short label of every event.
 */
export const MIN_SCAN_LENGTH = 16;

/**
 * Attribute names whose string value is a credential whatever its shape (a
 * password has none), with the kind recorded for it. Matched exactly,
 * ignoring case, `-` and `_`, so that `password_policy` or `token_count`
 * stay. `secret` alone is not here: it usually names a secret (a vault
 * path), which is exactly what an auditor needs to read.
 */
export const SECRET_FIELD_KINDS: ReadonlyMap<string, SecretKind> = new Map<string, SecretKind>([
  ['password', 'named-secret'],
  ['passwd', 'named-secret'],
  ['pwd', 'named-secret'],
  ['clientsecret', 'named-secret'],
  ['apikey', 'named-secret'],
  ['accesstoken', 'named-secret'],
  ['refreshtoken', 'named-secret'],
  ['privatekey', 'named-secret'],
  ['awssecretaccesskey', 'aws-secret-key'],
]);

export const normaliseFieldName = (name: string): string => name.toLowerCase().replace(/[-_]/g, '');
