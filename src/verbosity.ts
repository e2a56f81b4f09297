// mongosync's log verbosity levels. Apart from logging.ts (which loads the Temporal worker
// library), so that reading the configuration does not load it.
export const VERBOSITIES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'PANIC'] as const;
export type Verbosity = (typeof VERBOSITIES)[number];
export const DEFAULT_VERBOSITY: Verbosity = 'INFO';
