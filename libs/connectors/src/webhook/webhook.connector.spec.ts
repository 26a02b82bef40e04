import { describe, expect, it } from 'vitest';
import { webhookConnectorConfigSchema } from './webhook.config.js';
import { WebhookConnector } from './webhook.connector.js';
import { webhookAccessItemSchema } from './webhook.items.js';

const base = {
  kind: 'webhook',
  name: 'webhook-acme',
  urls: { revoke: 'https://hooks.acme.example/warden/revoke', restore: 'https://hooks.acme.example/warden/restore' },
  secret: 'whsec-0123456789abcdef',
};

describe('webhookConnectorConfigSchema', () => {
  it('defaults the identity to the principal id and bounds every request', () => {
    const config = webhookConnectorConfigSchema.parse(base);
    expect(config.identity).toEqual({ map: {}, template: '{principal}' });
    expect(config.request_timeout_ms).toBe(10_000);
    expect(config.urls.snapshot).toBeUndefined();
    expect(new WebhookConnector(config).identityFor({ tenant: 'acme', id: 'mail-agent' })).toBe('mail-agent');
  });

  it('rejects short secrets and URLs that are not http(s)', () => {
    const paths = (input: Record<string, unknown>) => {
      const r = webhookConnectorConfigSchema.safeParse({ ...base, ...input });
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    expect(paths({ secret: 'short' })).toEqual(['secret']);
    expect(paths({ urls: { ...base.urls, snapshot: 'ftp://hooks.acme.example/list' } })).toEqual(['urls.snapshot']);
    expect(paths({ urls: { revoke: base.urls.revoke } })).toEqual(['urls.restore']);
  });
});

describe('webhook items', () => {
  it('are the receiver’s own JSON objects, with a kind under "webhook."', () => {
    expect(webhookAccessItemSchema.safeParse({ kind: 'webhook.role', role: 'admin', scopes: ['a', 'b'] }).success).toBe(true);
    expect(webhookAccessItemSchema.safeParse({ kind: 'webhook.access', principal: 'svc-1' }).success).toBe(true);
    expect(webhookAccessItemSchema.safeParse({ kind: 'pg.login' }).success).toBe(false);
    expect(webhookAccessItemSchema.safeParse({ kind: 'webhook.' }).success).toBe(false);
  });

  it('go nowhere when foreign: the connector refuses them before sending', async () => {
    const connector = new WebhookConnector(webhookConnectorConfigSchema.parse({ ...base, urls: { revoke: 'http://127.0.0.1:1/r', restore: 'http://127.0.0.1:1/s' } }));
    await expect(connector.restore({ tenant: 'acme', id: 'x' }, [{ kind: 'kafka.acl' }])).rejects.toMatchObject({
      code: 'CONNECTOR.INVALID_ITEM',
    });
  });
});
