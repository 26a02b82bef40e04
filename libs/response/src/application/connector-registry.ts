import {
  type Connector,
  type PermissionChangeReverter,
  type ResourceRef,
  canRevertPermissionChanges,
  KafkaAclConnector,
  PostgresConnector,
  ScimConnector,
  WebhookConnector,
  kafkaAclConnectorConfigSchema,
  postgresConnectorConfigSchema,
  scimConnectorConfigSchema,
  webhookConnectorConfigSchema,
} from '@warden/connectors';
import { z } from 'zod';

/** The `connectors:` section of the WARDEN_CONFIG file: one entry per configured target. */
export const connectorsSectionSchema = z
  .array(
    z.discriminatedUnion('kind', [
      postgresConnectorConfigSchema,
      kafkaAclConnectorConfigSchema,
      scimConnectorConfigSchema,
      webhookConnectorConfigSchema,
    ]),
  )
  .default([])
  .superRefine((list, ctx) => {
    const names = list.map((c) => c.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `connector name "${name}" is used twice` });
    });
  });
export type ConnectorsSection = z.output<typeof connectorsSectionSchema>;

type Closable = Connector & { close?: () => Promise<void> };

/** The configured connector instances, by name. */
export class ConnectorRegistry {
  private readonly byName: Map<string, Closable>;

  constructor(connectors: Closable[]) {
    this.byName = new Map(connectors.map((c) => [c.name, c]));
  }

  static fromConfig(section: ConnectorsSection): ConnectorRegistry {
    return new ConnectorRegistry(
      section.map((c) => {
        switch (c.kind) {
          case 'postgres':
            return new PostgresConnector(c);
          case 'kafka-acl':
            return new KafkaAclConnector(c);
          case 'scim':
            return new ScimConnector(c);
          case 'webhook':
            return new WebhookConnector(c);
        }
      }),
    );
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  get(name: string): Connector | undefined {
    return this.byName.get(name);
  }

  /** Connectors that can revert permission changes and say they own this resource, by name. */
  owners(resource: ResourceRef): string[] {
    return [...this.byName.values()].filter((c) => canRevertPermissionChanges(c) && c.owns(resource)).map((c) => c.name);
  }

  /** The named connector, if it can revert permission changes. */
  reverter(name: string): (Connector & PermissionChangeReverter) | undefined {
    const connector = this.byName.get(name);
    return connector && canRevertPermissionChanges(connector) ? connector : undefined;
  }

  describe(): { name: string; kind: string }[] {
    return [...this.byName.values()].map((c) => ({ name: c.name, kind: c.kind }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.byName.values()].map((c) => c.close?.()));
  }
}
