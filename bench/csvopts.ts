import type { CsvOptions } from '../src/sink/options.js';

/** COPY … (FORMAT csv) with no other option (src/sink/options.ts defaults). */
export const DEFAULT_CSV: CsvOptions = { header: false, delimiter: ',', quote: '"', escape: '"', null: '' };
