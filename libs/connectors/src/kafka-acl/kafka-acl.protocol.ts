import kafkajs, {
  type AclEntry,
  type AclFilter,
  type AclOperationTypes,
  type AclResourceTypes,
  type DescribeAclResource,
  type ResourcePatternTypes,
} from 'kafkajs';
import { sortAccessItems } from '../access-item.js';
import { ConnectorRejectedError } from '../connector.errors.js';
import {
  kafkaAclSchema,
  type KafkaAcl,
  type KafkaOperation,
  type KafkaPatternType,
  type KafkaResourceType,
} from './kafka-acl.items.js';

// kafkajs is CommonJS and its enums are plain objects that Node's ESM loader
// does not expose as named exports: take them from the default export.
const { AclOperationTypes: OPS, AclPermissionTypes: PERMISSIONS, AclResourceTypes: RESOURCES, ResourcePatternTypes: PATTERNS } =
  kafkajs;

const RESOURCE_CODES: Record<KafkaResourceType, AclResourceTypes> = {
  TOPIC: RESOURCES.TOPIC,
  GROUP: RESOURCES.GROUP,
  CLUSTER: RESOURCES.CLUSTER,
  TRANSACTIONAL_ID: RESOURCES.TRANSACTIONAL_ID,
  DELEGATION_TOKEN: RESOURCES.DELEGATION_TOKEN,
};

const PATTERN_CODES: Record<KafkaPatternType, ResourcePatternTypes> = {
  LITERAL: PATTERNS.LITERAL,
  PREFIXED: PATTERNS.PREFIXED,
};

const OPERATION_CODES: Record<KafkaOperation, AclOperationTypes> = {
  ALL: OPS.ALL,
  READ: OPS.READ,
  WRITE: OPS.WRITE,
  CREATE: OPS.CREATE,
  DELETE: OPS.DELETE,
  ALTER: OPS.ALTER,
  DESCRIBE: OPS.DESCRIBE,
  CLUSTER_ACTION: OPS.CLUSTER_ACTION,
  DESCRIBE_CONFIGS: OPS.DESCRIBE_CONFIGS,
  ALTER_CONFIGS: OPS.ALTER_CONFIGS,
  IDEMPOTENT_WRITE: OPS.IDEMPOTENT_WRITE,
};

function nameOf<Name extends string>(codes: Record<Name, number>, code: number): Name | undefined {
  return (Object.keys(codes) as Name[]).find((name) => codes[name] === code);
}

/** The Kafka principal of an identity: Warden contains users, the only principal type the default principal builders produce. */
export function kafkaPrincipal(identity: string): string {
  return `User:${identity}`;
}

/** Every ALLOW binding of one principal, whatever the resource, pattern, operation or host. */
export function principalAclFilter(principal: string): AclFilter {
  return {
    resourceType: RESOURCES.ANY,
    resourcePatternType: PATTERNS.ANY,
    principal,
    operation: OPS.ANY,
    permissionType: PERMISSIONS.ALLOW,
  };
}

/**
 * The binding of an item to a principal. The same object serves as a
 * creation entry and as a deletion filter that matches exactly this binding
 * and nothing else: every field is concrete (no ANY, no MATCH, no null).
 */
export function aclBinding(item: KafkaAcl, principal: string): AclEntry {
  return {
    resourceType: RESOURCE_CODES[item.resource_type],
    resourceName: item.resource_name,
    resourcePatternType: PATTERN_CODES[item.pattern_type],
    principal,
    host: item.host,
    operation: OPERATION_CODES[item.operation],
    permissionType: PERMISSIONS.ALLOW,
  };
}

/**
 * Items from a DescribeAcls answer, in a stable order. Only the principal's
 * own ALLOW bindings are expected; anything this connector could not restore
 * exactly (a newer operation, another principal) stops the snapshot rather
 * than being left out of it.
 */
export function itemsFromDescribe(resources: readonly DescribeAclResource[], principal: string): KafkaAcl[] {
  const items = resources.flatMap((resource) =>
    resource.acls.map((acl) => {
      const candidate = {
        kind: 'kafka.acl',
        resource_type: nameOf(RESOURCE_CODES, resource.resourceType),
        resource_name: resource.resourceName,
        pattern_type: nameOf(PATTERN_CODES, resource.resourcePatternType),
        operation: nameOf(OPERATION_CODES, acl.operation),
        permission_type: acl.permissionType === PERMISSIONS.ALLOW ? 'ALLOW' : undefined,
        host: acl.host,
      };
      const parsed = kafkaAclSchema.safeParse(candidate);
      if (!parsed.success || acl.principal !== principal) {
        const entry = { ...resource, acls: undefined, ...acl };
        throw new ConnectorRejectedError(`unrecognised ACL binding ${JSON.stringify(entry)}`, { entry });
      }
      return parsed.data;
    }),
  );
  return sortAccessItems(items);
}
