/** The shape of a `ferry` verb: src/cli/main.ts dispatches to one, each verb's module defines one. */
import type { FlagDef } from '../config/index.js';

export interface Verb {
  name: string;
  summary: string;
  flags: FlagDef[];
  run(values: Map<string, string | null>, positional: string[]): Promise<number>;
}
