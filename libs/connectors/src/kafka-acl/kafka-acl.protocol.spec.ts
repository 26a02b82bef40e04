import kafkajs, { type DescribeAclResource } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { KafkaAcl } from './kafka-acl.items.js';
import { aclBinding, itemsFromDescribe, kafkaPrincipal, principalAclFilter } from './kafka-acl.protocol.js';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

const principal = 'User:agent-alpha';
const write: KafkaAcl = {
  kind: 'kafka.acl',
  resource_type: 'TOPIC',
  resource_name: 'orders',
  pattern_type: 'LITERAL',
  operation: 'WRITE',
  permission_type: 'ALLOW',
  host: '*',
};
const readGroups: KafkaAcl = { ...write, resource_type: 'GROUP', resource_name: 'agents-', pattern_type: 'PREFIXED', operation: 'READ', host: '10.0.0.7' };

describe('Kafka ACL protocol mapping', () => {
  it('names the principal as a Kafka user', () => {
    expect(kafkaPrincipal('agent-alpha')).toBe('User:agent-alpha');
  });

  it('describes every ALLOW binding of one principal, whatever the resource, pattern, operation or host', () => {
    expect(principalAclFilter(principal)).toEqual({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      principal,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ALLOW,
    });
    expect(principalAclFilter(principal)).not.toHaveProperty('host');
  });

  it('binds an item to the principal with every field concrete, so a deletion filter matches that binding only', () => {
    expect(aclBinding(readGroups, principal)).toEqual({
      resourceType: AclResourceTypes.GROUP,
      resourceName: 'agents-',
      resourcePatternType: ResourcePatternTypes.PREFIXED,
      principal,
      host: '10.0.0.7',
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.ALLOW,
    });
  });

  it('reads a DescribeAcls answer back into the items it came from, sorted', () => {
    const resources: DescribeAclResource[] = [readGroups, write].map((item) => {
      const { resourceType, resourceName, resourcePatternType, ...acl } = aclBinding(item, principal);
      return { resourceType, resourceName, resourcePatternType, acls: [acl] };
    });
    // Stable order: by canonical content, whatever order the broker answered in.
    expect(itemsFromDescribe(resources, principal)).toEqual([write, readGroups]);
    expect(itemsFromDescribe([], principal)).toEqual([]);
  });

  it('refuses a binding it could not restore exactly, rather than leave it out of a snapshot', () => {
    const binding = aclBinding(write, principal);
    const resource = (acl: Partial<typeof binding>): DescribeAclResource[] => [
      { resourceType: binding.resourceType, resourceName: 'orders', resourcePatternType: binding.resourcePatternType, acls: [{ ...binding, ...acl }] },
    ];
    const describeTokens = 14 as typeof binding.operation; // DESCRIBE_TOKENS: not expressible through kafkajs
    expect(() => itemsFromDescribe(resource({ operation: describeTokens }), principal)).toThrow(
      expect.objectContaining({ code: 'CONNECTOR.REJECTED', message: expect.stringContaining('unrecognised ACL binding') }),
    );
    expect(() => itemsFromDescribe(resource({ permissionType: AclPermissionTypes.DENY }), principal)).toThrow(
      expect.objectContaining({ code: 'CONNECTOR.REJECTED' }),
    );
    expect(() => itemsFromDescribe(resource({ principal: 'User:someone-else' }), principal)).toThrow(
      expect.objectContaining({ code: 'CONNECTOR.REJECTED' }),
    );
  });
});
