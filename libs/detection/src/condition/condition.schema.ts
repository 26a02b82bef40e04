import { z } from 'zod';
import { fieldPathSchema } from './field-path.js';

export type Scalar = string | number | boolean | null;

/**
 * A condition on one event: either a field predicate (`field` plus exactly one
 * operator) or a combination (`all`, `any`, `not`). One flat object rather
 * than a zod union, so that a typo is reported at its own path ("unrecognized
 * key: equal") instead of as an opaque "no union member matched".
 *
 * The type is written out because zod cannot infer a recursive type through
 * `superRefine`; `conditionSchema` is typed against it, so the two cannot drift.
 */
export interface Condition {
  field?: string;
  equals?: Scalar;
  in?: Scalar[];
  prefix?: string;
  regex?: string;
  exists?: boolean;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
}

export const FIELD_OPERATORS = ['equals', 'in', 'prefix', 'regex', 'exists', 'gt', 'gte', 'lt', 'lte'] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];
const COMBINATORS = ['all', 'any', 'not'] as const;

const scalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const regexSchema = z
  .string()
  .min(1)
  .max(512)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source, 'u');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(error as Error).message}` });
    }
  });

/** A misspelt operator is reported once, as an unknown key, not again as "missing operator". */
const withoutOwnUnknownKeys = (payload: { issues: ReadonlyArray<{ code?: string; path?: ReadonlyArray<PropertyKey> }> }) =>
  !payload.issues.some((i) => i.code === 'unrecognized_keys' && (i.path ?? []).length === 0);

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z
    .strictObject({
      field: fieldPathSchema.optional(),
      equals: scalarSchema.optional(),
      in: z.array(scalarSchema).min(1).max(1000).optional(),
      prefix: z.string().min(1).max(256).optional(),
      regex: regexSchema.optional(),
      exists: z.boolean().optional(),
      gt: z.number().optional(),
      gte: z.number().optional(),
      lt: z.number().optional(),
      lte: z.number().optional(),
      all: z.array(conditionSchema).min(1).max(100).optional(),
      any: z.array(conditionSchema).min(1).max(100).optional(),
      not: conditionSchema.optional(),
    })
    .superRefine((c, ctx) => {
      // `equals: null` is a real operator, so presence is checked by key, not by value.
      const present = (key: string) => Object.hasOwn(c, key);
      const operators = FIELD_OPERATORS.filter(present);
      const combinators = COMBINATORS.filter(present);
      if (combinators.length > 0) {
        if (combinators.length > 1 || operators.length > 0 || present('field')) {
          ctx.addIssue({
            code: 'custom',
            message: `a condition is one of all, any, not, or a field predicate; found ${[...combinators, ...(present('field') ? ['field'] : []), ...operators].join(', ')} together (nest them under "all" instead)`,
          });
        }
        return;
      }
      if (!present('field')) {
        ctx.addIssue({ code: 'custom', message: 'a condition needs "field" with one operator, or one of all, any, not' });
        return;
      }
      if (operators.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message:
            operators.length === 0
              ? `field "${c.field}" needs one operator: ${FIELD_OPERATORS.join(', ')}`
              : `field "${c.field}" has ${operators.length} operators (${operators.join(', ')}); use one per predicate and combine with "all"`,
        });
      }
    }, { when: withoutOwnUnknownKeys }),
);
