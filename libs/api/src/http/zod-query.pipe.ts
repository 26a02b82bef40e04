import type { PipeTransform } from '@nestjs/common';
import { toViolations } from '@warden/contracts';
import type { z } from 'zod';
import { RequestValidationError } from '../problem/request-errors.js';

/** Parses a request part with a zod schema at the edge; the handler receives the typed value. */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly where: 'query' | 'body' | 'path' = 'query',
  ) {}

  transform(value: unknown): z.infer<S> {
    const parsed = this.schema.safeParse(value ?? {});
    if (!parsed.success) throw new RequestValidationError(this.where, toViolations(parsed.error));
    return parsed.data;
  }
}
