// The JSON Schema of the spec file, for editors (completion, hover help, red squiggles). It is
// generated from SpecSchema so the two cannot disagree; schema/finetune.schema.json is this output,
// checked by test/spec.test.ts.
import { z } from 'zod';
import { SpecSchema } from './schema.js';

/** Input side: keys with defaults are optional, as a user writes them. */
export function specJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(SpecSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
