/** Regenerates the published JSON Schema from the zod contract: `npm run contract:schema`. */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentActionJsonSchema } from '../src/index.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'agent-action.v1.schema.json');
writeFileSync(target, `${JSON.stringify(agentActionJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
