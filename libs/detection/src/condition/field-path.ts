import { agentActionSchema, type AgentAction } from '@warden/contracts';
import { z } from 'zod';

/**
 * Reads a dotted path (`permission_change.audience_after`,
 * `attributes.ticket`, `permission_change.privileges.0`) from an event.
 * Own properties only: a rule must not reach `constructor` or `__proto__`.
 */
export function readField(event: AgentAction, path: string): unknown {
  return fieldReader(path)(event);
}

/** `readField` for one path, split once: rules read the same paths for every event. */
export function fieldReader(path: string): (event: AgentAction) => unknown {
  const segments = path.split('.');
  return (event) => {
    let current: unknown = event;
    for (const segment of segments) {
      if (current === null || typeof current !== 'object') return undefined;
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
    return current;
  };
}

/** What a path may continue into, derived from the contract's zod schema. */
type Shape = { kind: 'object'; fields: Map<string, Shape> } | { kind: 'array'; element: Shape } | { kind: 'open' } | { kind: 'leaf' };

function shapeOf(schema: z.ZodType): Shape {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) return shapeOf(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodObject) {
    const fields = new Map<string, Shape>();
    for (const [key, child] of Object.entries(schema.shape as Record<string, z.ZodType>)) fields.set(key, shapeOf(child));
    return { kind: 'object', fields };
  }
  if (schema instanceof z.ZodArray) return { kind: 'array', element: shapeOf(schema.element as z.ZodType) };
  if (schema instanceof z.ZodRecord) return { kind: 'open' };
  return { kind: 'leaf' };
}

const CONTRACT_SHAPE = shapeOf(agentActionSchema);

/**
 * Why a path cannot name a field of contract v1, or undefined when it can.
 * Checked at load time so that `acton.type` is reported with the rule, rather
 * than silently never matching. Below `attributes` anything goes: it is the
 * contract's free-form part.
 */
export function contractPathProblem(path: string): string | undefined {
  let shape: Shape = CONTRACT_SHAPE;
  const segments = path.split('.');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const sofar = segments.slice(0, i + 1).join('.');
    if (segment.length === 0) return `empty segment in field path "${path}"`;
    switch (shape.kind) {
      case 'open':
        return undefined;
      case 'leaf':
        return `"${segments.slice(0, i).join('.')}" is a value, so "${sofar}" does not exist in contract v1`;
      case 'array':
        if (!/^\d+$/.test(segment)) return `"${segments.slice(0, i).join('.')}" is a list; expected an index, got "${segment}"`;
        shape = shape.element;
        break;
      case 'object': {
        const next = shape.fields.get(segment);
        if (!next) return `unknown field "${sofar}" (not in contract v1)`;
        shape = next;
        break;
      }
    }
  }
  return undefined;
}

/** A dotted field path that exists in contract v1. */
export const fieldPathSchema = z
  .string()
  .min(1)
  .max(256)
  .superRefine((path, ctx) => {
    const problem = contractPathProblem(path);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
