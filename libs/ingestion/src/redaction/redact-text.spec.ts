import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { redactText } from './redact-text.js';

// Samples are assembled from parts at run time so that this file holds no
// literal that a secret scanner (or a reader) could mistake for a live credential.
const CHARS = 'q7Rt2Wx9Lm4Kp8Zs3Dv6Hn1Bc5Fg0Jy';
const alnum = (n: number): string => CHARS.repeat(Math.ceil(n / CHARS.length)).slice(0, n);
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const AWS_KEY_ID = 'AKIA' + 'IOSFODNN7EXAMPLE'; // AWS's own documentation example
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY';
const JWT = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'agent-7', exp: 1893456000 })}.${alnum(43)}`;
const ED25519_PEM = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

describe('masking secret shapes in text', () => {
  it.each([
    ['an AWS access key id (AKIA)', `key id ${AWS_KEY_ID} in use`, 'key id [REDACTED:aws-access-key] in use', 'aws-access-key'],
    ['an AWS temporary key id (ASIA)', `ASIA${'Q3EGUJX2NGLBRX7K'}`, '[REDACTED:aws-access-key]', 'aws-access-key'],
    ['an AWS secret key in credentials-file form', `aws_secret_access_key = ${AWS_SECRET}`, 'aws_secret_access_key = [REDACTED:aws-secret-key]', 'aws-secret-key'],
    ['an AWS secret key as a quoted env var', `export AWS_SECRET_ACCESS_KEY="${AWS_SECRET}"`, 'export AWS_SECRET_ACCESS_KEY="[REDACTED:aws-secret-key]"', 'aws-secret-key'],
    ['a GitHub personal token', `token=ghp_${alnum(36)}`, 'token=[REDACTED:github-token]', 'github-token'],
    ['a GitHub OAuth token', `gho_${alnum(36)}`, '[REDACTED:github-token]', 'github-token'],
    ['a GitHub user-to-server token', `ghu_${alnum(36)}`, '[REDACTED:github-token]', 'github-token'],
    ['a GitHub server-to-server token', `ghs_${alnum(36)}`, '[REDACTED:github-token]', 'github-token'],
    ['a GitHub refresh token', `ghr_${alnum(76)}`, '[REDACTED:github-token]', 'github-token'],
    ['a GitHub fine-grained token', `github_pat_11ABCDEFG0_${alnum(59)}`, '[REDACTED:github-token]', 'github-token'],
    ['a Slack bot token', `xoxb-2048-1234567890123-${alnum(24)}`, '[REDACTED:slack-token]', 'slack-token'],
    ['a Slack user token', `use xoxp-1234-5678-9012-${alnum(32)} here`, 'use [REDACTED:slack-token] here', 'slack-token'],
    ['a Stripe live secret key', `sk_live_${alnum(24)}`, '[REDACTED:stripe-key]', 'stripe-key'],
    ['a Stripe live restricted key', `rk_live_${alnum(99)}`, '[REDACTED:stripe-key]', 'stripe-key'],
    ['an OpenAI legacy key', `OPENAI_API_KEY=sk-${alnum(48)}`, 'OPENAI_API_KEY=[REDACTED:openai-key]', 'openai-key'],
    ['an OpenAI project key', `sk-proj-${alnum(60)}_${alnum(40)}-${alnum(20)}`, '[REDACTED:openai-key]', 'openai-key'],
    ['an Anthropic key', `sk-ant-api03-${alnum(93)}AA`, '[REDACTED:anthropic-key]', 'anthropic-key'],
    ['a Google API key', `https://maps.example/api?key=AIza${alnum(35)}`, 'https://maps.example/api?key=[REDACTED:google-api-key]', 'google-api-key'],
    ['a bearer token in an Authorization header', `Authorization: Bearer ya29.${alnum(40)}`, 'Authorization: Bearer [REDACTED:bearer-token]', 'bearer-token'],
    ['a bearer JWT (the header context wins)', `Authorization: Bearer ${JWT}`, 'Authorization: Bearer [REDACTED:bearer-token]', 'bearer-token'],
    ['Basic credentials in an Authorization header', `Authorization: Basic ${Buffer.from('admin:hunter2-hunter2').toString('base64')}`, 'Authorization: Basic [REDACTED:basic-auth]', 'basic-auth'],
    ['a bare JWT', `session ${JWT} expired`, 'session [REDACTED:jwt] expired', 'jwt'],
    ['a PKCS#8 private key block', `key:\n${ED25519_PEM}done`, 'key:\n[REDACTED:private-key]\ndone', 'private-key'],
    ['an RSA private key block', `-----BEGIN RSA PRIVATE KEY-----\nMIIEow${alnum(60)}\n-----END RSA PRIVATE KEY-----`, '[REDACTED:private-key]', 'private-key'],
    ['an OpenSSH private key block', `-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn${alnum(70)}\n-----END OPENSSH PRIVATE KEY-----`, '[REDACTED:private-key]', 'private-key'],
    ['a private key block cut short (masked to the end)', `pem=-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE${alnum(30)}`, 'pem=[REDACTED:private-key]', 'private-key'],
    ['a password in a database URL', 'postgres://warden:s3cr3t-Pa55@db.internal:5432/audit', 'postgres://warden:[REDACTED:url-password]@db.internal:5432/audit', 'url-password'],
    ['a password with an unencoded @ in a URL', 'https://ops:p@ss@w0rd@git.example.com/repo.git', 'https://ops:[REDACTED:url-password]@git.example.com/repo.git', 'url-password'],
  ])('masks %s', (_name, input, expected, kind) => {
    expect(redactText(input)).toEqual({ text: expected, kinds: [kind] });
  });

  it.each([
    ['AKIA in prose', 'Keys starting with AKIA are long-term AWS access key ids'],
    ['an AKIA-like id one character short', `AKIA${'IOSFODNN7EXAMPL'} is not a key`],
    ['an AKIA-like id one character long', `AKIA${'IOSFODNN7EXAMPLEX'} is not a key`],
    ['40 base64 characters without the AWS secret name', `checksum: ${AWS_SECRET}`],
    ['a short sk- word', 'we trained it with sk-learn and the task-runner'],
    ['a long hyphenated word after sk-', 'the sk-this-is-only-a-very-long-hyphenated-name stays'],
    ['a Stripe test-mode key', `sk_test_${alnum(24)}`],
    ['a UUID', 'request 550e8400-e29b-41d4-a716-446655440000 finished'],
    ['a SHA-256 hex digest', 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['a base64 image fragment', 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='],
    ['base64 JSON that is not a JWT (no segments)', `data:application/json;base64,${b64url({ user: 'alice', role: 'admin' })}`],
    ['a JWT header and claims without a signature', `${b64url({ alg: 'none' })}.${b64url({ sub: 'x' })}`],
    ['a URL with a user and no password', 'cloned https://alice@git.example.com/warden.git today'],
    ['a URL with a port', 'https://api.example.com:8443/v1/items?owner=a@b.example'],
    ['an scp-style git remote', 'git@github.com:warden/warden.git'],
    ['the word Bearer alone', 'the Bearer scheme is defined in RFC 6750'],
    ['bearer followed by a long word', 'the bearer responsibilities of the agent owner'],
    ['an Authorization header naming the scheme only', 'Authorization: Bearer'],
    ['Basic outside an Authorization header', 'Basic authentication is disabled for this tenant'],
    ['a Slack-like word', 'xoxo-and-hugs-from-the-whole-team'],
    ['AIza in prose', 'Google keys start with AIza and are 39 characters long'],
    ['a public key block', '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----'],
  ])('leaves %s untouched', (_name, input) => {
    expect(redactText(input)).toEqual({ text: input, kinds: [] });
  });

  it('masks every secret of a string, each with its own marker, in pattern order', () => {
    const text = `curl -H "Authorization: Bearer ${alnum(12)}9${alnum(20)}" https://bot:${alnum(12)}@hooks.example.com ${AWS_KEY_ID}`;
    expect(redactText(text)).toEqual({
      text: 'curl -H "Authorization: Bearer [REDACTED:bearer-token]" https://bot:[REDACTED:url-password]@hooks.example.com [REDACTED:aws-access-key]',
      kinds: ['aws-access-key', 'bearer-token', 'url-password'],
    });
  });

  it('changes nothing on a second pass (markers are never taken for secrets)', () => {
    const once = redactText(`postgres://u:pw-${alnum(20)}@h/db Authorization: Bearer ${JWT} aws_secret_access_key=${AWS_SECRET}`);
    expect(once.kinds).toEqual(['aws-secret-key', 'bearer-token', 'url-password']);
    expect(redactText(once.text)).toEqual({ text: once.text, kinds: [] });
  });

  it('does not scan strings shorter than 16 characters', () => {
    expect(redactText('ftp://u:p@h')).toEqual({ text: 'ftp://u:p@h', kinds: [] });
  });

  it('stays linear on hostile 32 KiB inputs (no catastrophic backtracking)', () => {
    const hostile = [
      'sk-'.repeat(11_000),
      `eyJ${'a'.repeat(16_000)}.eyJ${'a'.repeat(16_000)}`,
      '-----BEGIN PRIVATE KEY-----'.repeat(1_200),
      `https://${'a'.repeat(32_000)}`,
      'a://b:'.repeat(5_400),
      `Bearer ${'-'.repeat(32_000)}`,
      `xoxb-${'1-'.repeat(16_000)}`,
    ];
    const started = performance.now();
    for (const text of hostile) redactText(text);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
