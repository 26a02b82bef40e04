import { z } from 'zod';
import { agentActionSchema } from './agent-action.schema.js';

export const AGENT_ACTION_SCHEMA_ID = 'urn:warden:schema:agent-action:v1';

/** The contract as JSON Schema (draft 2020-12), generated from the zod schema so the two never drift. */
export function agentActionJsonSchema(): Record<string, unknown> {
  return {
    $id: AGENT_ACTION_SCHEMA_ID,
    title: 'Warden agent action event, contract v1',
    ...z.toJSONSchema(agentActionSchema, { target: 'draft-2020-12', io: 'input' }),
  };
}
