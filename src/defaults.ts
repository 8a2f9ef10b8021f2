// The defaults that several layers share, in one place: the spec's schema, the CLI, the Action.
// Nothing to import here, so any layer may use it.

/** This package's version, as package.json says (scripts/sync-version.mjs writes it on `npm version`; a test checks). */
export const VERSION = '0.1.0';

/** output.dir when the spec does not set it, and where a run without a loadable spec writes. */
export const DEFAULT_OUTPUT_DIR = 'finetune-out';

/** output.retention_days when the spec does not set it (or could not be read). */
export const DEFAULT_RETENTION_DAYS = 30;
