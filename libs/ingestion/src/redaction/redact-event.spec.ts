import type { AgentAction } from '@warden/contracts';
import { describe, expect, it } from 'vitest';
import { redactEvent } from './redact-event.js';

// Assembled at run time so the file holds no literal a secret scanner would flag.
const GITHUB_TOKEN = `ghp_${'Zs3Dv6Hn1Bc5Fg0Jyq7Rt2Wx9Lm4Kp8Zs3Dv'}`;
const AWS_KEY_ID = 'AKIA' + 'IOSFODNN7EXAMPLE';
const OPENAI_KEY = `sk-${'q7Rt2Wx9Lm4Kp8Zs3Dv6Hn1Bc5Fg0Jyq7Rt2Wx9Lm4Kp8Zs'}`;

function event(overrides: Partial<AgentAction> = {}): AgentAction {
  return {
    event_id: 'evt-redact-1',
    schema_version: '1',
    occurred_at: '2026-11-24T09:15:02Z',
    tenant: 'default',
    principal: { id: 'agent-forum-helper', kind: 'agent' },
    action: { type: 'tool.call' },
    resource: { type: 'http.request', id: 'req-42' },
    outcome: 'success',
    source: { system: 'agent-gateway' },
    ...overrides,
  };
}

describe('redacting an event before it is stored', () => {
  it('masks secrets anywhere in attributes, naming each path (array indexes included) and kind', () => {
    const input = event({
      attributes: {
        request: {
          url: 'https://deploy:hunter2-hunter2@ci.example.com/hook',
          headers: { authorization: `Bearer ${GITHUB_TOKEN}`, accept: 'application/json' },
        },
        argv: ['git', 'push', `https://x-access-token:${GITHUB_TOKEN}@github.com/acme/app.git`],
        env: `OPENAI_API_KEY=${OPENAI_KEY}`,
        attempts: 3,
        dry_run: false,
        note: null,
      },
    });
    const { event: out, redactions } = redactEvent(input);
    expect(out.attributes).toEqual({
      request: {
        url: 'https://deploy:[REDACTED:url-password]@ci.example.com/hook',
        headers: { authorization: 'Bearer [REDACTED:github-token]', accept: 'application/json' },
      },
      argv: ['git', 'push', 'https://x-access-token:[REDACTED:github-token]@github.com/acme/app.git'],
      env: 'OPENAI_API_KEY=[REDACTED:openai-key]',
      attempts: 3,
      dry_run: false,
      note: null,
    });
    expect(redactions).toEqual([
      { path: 'attributes.request.url', kind: 'url-password' },
      // A vendor's shape is recognised before the generic bearer context, so the kind says whose token leaked.
      { path: 'attributes.request.headers.authorization', kind: 'github-token' },
      // Likewise before the URL pattern, which then sees a marker where the password was and leaves it.
      { path: 'attributes.argv.2', kind: 'github-token' },
      { path: 'attributes.env', kind: 'openai-key' },
    ]);
  });

  it('masks the free-text fields and never an identifier, even one shaped like a key', () => {
    const input = event({
      principal: { id: 'agent-ops', kind: 'agent', display_name: `ops bot (token ${GITHUB_TOKEN})` },
      action: { type: 'secret.read', name: `rotate ${AWS_KEY_ID}` },
      // CloudTrail names access keys by id: the id is the resource, and detections key on it.
      resource: { type: 'aws.iam.access_key', id: AWS_KEY_ID, name: `key ${AWS_KEY_ID} of ci-user` },
    });
    const { event: out, redactions } = redactEvent(input);
    expect(out.principal).toEqual({ id: 'agent-ops', kind: 'agent', display_name: 'ops bot (token [REDACTED:github-token])' });
    expect(out.action).toEqual({ type: 'secret.read', name: 'rotate [REDACTED:aws-access-key]' });
    expect(out.resource).toEqual({ type: 'aws.iam.access_key', id: AWS_KEY_ID, name: 'key [REDACTED:aws-access-key] of ci-user' });
    expect(out.event_id).toBe('evt-redact-1');
    expect(redactions).toEqual([
      { path: 'principal.display_name', kind: 'github-token' },
      { path: 'action.name', kind: 'aws-access-key' },
      { path: 'resource.name', kind: 'aws-access-key' },
    ]);
  });

  it('masks a credential-named attribute whatever its value looks like, and leaves look-alike names', () => {
    const { event: out, redactions } = redactEvent(
      event({
        attributes: {
          login: { user: 'alice', password: 'hunter2' },
          'Client-Secret': 'abc',
          aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY',
          password_policy: 'at least 12 characters',
          token_count: 1532,
          apiKey: '',
        },
      }),
    );
    expect(out.attributes).toEqual({
      login: { user: 'alice', password: '[REDACTED:named-secret]' },
      'Client-Secret': '[REDACTED:named-secret]',
      aws_secret_access_key: '[REDACTED:aws-secret-key]',
      password_policy: 'at least 12 characters',
      token_count: 1532,
      apiKey: '',
    });
    expect(redactions).toEqual([
      { path: 'attributes.login.password', kind: 'named-secret' },
      { path: 'attributes.Client-Secret', kind: 'named-secret' },
      { path: 'attributes.aws_secret_access_key', kind: 'aws-secret-key' },
    ]);
  });

  it('lists one redaction per secret, so two secrets in one string are two entries', () => {
    const { redactions } = redactEvent(event({ attributes: { log: `used ${AWS_KEY_ID} then ${OPENAI_KEY}` } }));
    expect(redactions).toEqual([
      { path: 'attributes.log', kind: 'aws-access-key' },
      { path: 'attributes.log', kind: 'openai-key' },
    ]);
  });

  it('returns the same event object, and no redactions, when there is nothing to mask', () => {
    const input = event({ attributes: { query: 'SELECT 1', request_id: '550e8400-e29b-41d4-a716-446655440000' } });
    const result = redactEvent(input);
    expect(result.event).toBe(input);
    expect(result.redactions).toEqual([]);
  });

  it('leaves its input unchanged', () => {
    const input = event({ attributes: { nested: { token: `Bearer ${GITHUB_TOKEN}` } } });
    const before = structuredClone(input);
    const result = redactEvent(input);
    expect(input).toEqual(before);
    expect(result.event).not.toBe(input);
  });

  it('is a no-op on an event it already redacted', () => {
    const once = redactEvent(
      event({
        action: { type: 'tool.call', name: `call with ${OPENAI_KEY}` },
        attributes: { password: 'hunter2', url: 'mysql://root:toor-toor@db:3306/app', headers: [`Authorization: Bearer ${GITHUB_TOKEN}`] },
      }),
    );
    expect(once.redactions).toHaveLength(4);
    const twice = redactEvent(once.event);
    expect(twice.event).toBe(once.event);
    expect(twice.redactions).toEqual([]);
  });

  it('walks attributes nested deeper than a recursive walk could go', () => {
    let nested: unknown = { secret_url: 'redis://default:pa55word-pa55word@cache:6379' };
    for (let i = 0; i < 20_000; i++) nested = [nested];
    const { redactions } = redactEvent(event({ attributes: { nested } }));
    expect(redactions).toHaveLength(1);
    expect(redactions[0].kind).toBe('url-password');
    expect(redactions[0].path).toBe(`attributes.nested.${Array(20_000).fill(0).join('.')}.secret_url`);
  });
});
