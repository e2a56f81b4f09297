// The c2c-sync commands, their flags and their help text.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { IGNORED_MONGOSYNC_OPTIONS, SETTINGS, type FlagValues, type Setting } from '../config';
import { startRequestBodySchema } from '../sync/start-options';

export class UsageError extends Error {}

export type CommandName = 'service' | 'worker' | 'start' | 'progress' | 'pause' | 'resume' | 'commit' | 'reverse' | 'clear' | 'verify' | 'help';
export const CLIENT_COMMANDS = ['start', 'progress', 'pause', 'resume', 'commit', 'reverse', 'clear'] as const;
export type ClientCommand = (typeof CLIENT_COMMANDS)[number];

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string];
type Options = Record<string, OptionSpec>;

const toKebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The /start body fields, as flags: `--build-indexes never`, `--reversible true`, ... */
export const START_BODY_FLAGS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.keys(startRequestBodySchema.shape).map((field) => [toKebab(field), field]),
);

const common: Options = {
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string' },
};

function settingOptions(settings: readonly Setting[]): Options {
  const options: Options = {};
  for (const setting of settings) {
    for (const name of [setting.flag, ...(setting.aliases ?? [])]) options[name] = { type: 'string' };
  }
  return options;
}

const serviceOptions: Options = {
  ...common,
  version: { type: 'boolean', short: 'v' },
  ...settingOptions(SETTINGS),
  ...Object.fromEntries(
    IGNORED_MONGOSYNC_OPTIONS.map((name) => [name, { type: name === 'loadLevel' || name === 'metricsLoggingFilepath' ? 'string' : 'boolean' } as OptionSpec]),
  ),
};

const clientOptions: Options = {
  ...common,
  api: { type: 'string' },
  ...settingOptions(SETTINGS.filter((setting) => ['host', 'port', 'apiToken', 'tlsCert'].includes(setting.key))),
};

const OPTIONS: Record<Exclude<CommandName, 'help'>, Options> = {
  service: serviceOptions,
  worker: serviceOptions,
  start: { ...clientOptions, body: { type: 'string' }, ...Object.fromEntries(Object.keys(START_BODY_FLAGS).map((flag) => [flag, { type: 'string' } as OptionSpec])) },
  progress: { ...clientOptions, watch: { type: 'boolean', short: 'w' }, interval: { type: 'string' }, until: { type: 'string' }, timeout: { type: 'string' } },
  pause: clientOptions,
  resume: clientOptions,
  commit: clientOptions,
  reverse: clientOptions,
  clear: clientOptions,
  verify: {
    help: { type: 'boolean', short: 'h' },
    cluster0: { type: 'string' },
    cluster1: { type: 'string' },
    include: { type: 'string', multiple: true },
    exclude: { type: 'string', multiple: true },
    report: { type: 'string' },
    parallelism: { type: 'string' },
    'max-mismatches': { type: 'string' },
  },
};

export interface ParsedCommand {
  command: CommandName;
  flags: FlagValues;
  /** `help <command>` */
  topic?: string;
}

export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  const first = argv[0];
  let command: CommandName = 'service';
  let rest = argv;
  if (first !== undefined && !first.startsWith('-')) {
    if (first === 'help') return { command: 'help', flags: {}, ...(argv[1] ? { topic: argv[1] } : {}) };
    if (!(first in OPTIONS) || first === 'service') throw new UsageError(`unknown command '${first}'`);
    command = first as CommandName;
    rest = argv.slice(1);
  }
  try {
    const { values, positionals } = parseArgs({ args: [...rest], options: OPTIONS[command as Exclude<CommandName, 'help'>], strict: true, allowPositionals: true });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    return { command, flags: { ...values } as FlagValues };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message.split('. ')[0]!);
  }
}

function settingLines(settings: readonly Setting[]): string[] {
  return settings.map((setting) => {
    const names = [setting.flag, ...(setting.aliases ?? [])].map((name) => `--${name}`).join(', ');
    const env = setting.env ? ` [${setting.env}]` : '';
    return `  ${`${names} ${setting.valueName}`.padEnd(38)} ${setting.description}${env}`;
  });
}

const CLIENT_FLAGS = [
  '  --api URL                              the c2c-sync API (default http://<host>:<port>) [C2C_API]',
  '  --host ADDR, --port N                  where the API listens (default localhost 27182) [C2C_HOST, C2C_PORT]',
  '  --api-token TOKEN                      the API token of the service, sent as Authorization: Bearer [C2C_API_TOKEN]',
  '  --config FILE                          read host, port and apiToken from a config file [C2C_CONFIG]',
];

export function helpText(topic?: string): string {
  switch (topic) {
    case 'worker':
      return [
        'Usage: c2c-sync worker --cluster0 URI --cluster1 URI [--temporal-address HOST:PORT] [options]',
        '',
        'Runs only a Temporal worker for the sync: start more of them, on other machines too, to spread the copy.',
        'It needs the same cluster and Temporal options as the service; --temporal-address defaults to localhost:7233.',
        '',
        'Options:',
        ...settingLines(SETTINGS.filter((s) => !['port', 'host', 'stateDir', 'temporalHost', 'temporalPort', 'temporalUiPort'].includes(s.key))),
      ].join('\n');
    case 'start':
      return [
        'Usage: c2c-sync start --source cluster0 --destination cluster1 [--<field> VALUE ...] [--body JSON]',
        '',
        'Calls POST /api/v1/start. Every field of the /start body is a flag in kebab-case whose value is',
        'JSON, or a plain string: --reversible true --enable-user-write-blocking true --build-indexes never',
        `--include-namespaces '[{"database":"sales"}]'. Fields: ${Object.keys(START_BODY_FLAGS).map((f) => `--${f}`).join(', ')}.`,
        '--body JSON gives the whole body; field flags override its fields.',
        '',
        ...CLIENT_FLAGS,
      ].join('\n');
    case 'progress':
      return [
        'Usage: c2c-sync progress [--watch [--interval SECONDS]] [--until STATE|canCommit|canWrite [--timeout SECONDS]]',
        '',
        'Calls GET /api/v1/progress and prints the response. With --watch, redraws progress bars (bytes copied,',
        'lag, state) on a terminal, or prints one line per poll when the output is not a terminal.',
        '--until waits until the state is reached (or canCommit/canWrite is true) and exits 0; --timeout gives up (exit 1).',
        'A FAILED sync ends the wait at once (exit 1) unless --until FAILED.',
        '',
        ...CLIENT_FLAGS,
      ].join('\n');
    case 'pause':
    case 'resume':
    case 'commit':
    case 'reverse':
      return [`Usage: c2c-sync ${topic} [--api URL | --host ADDR --port N]`, '', `Calls POST /api/v1/${topic} with {} and prints the response.`, '', ...CLIENT_FLAGS].join('\n');
    case 'verify':
      return [
        'Usage: c2c-sync verify --cluster0 URI --cluster1 URI [--include NS ...] [--exclude NS ...] [--report FILE]',
        '                       [--parallelism N] [--max-mismatches N]',
        '',
        'Compares two clusters without a sync: every document of every collection (by a digest of its exact BSON,',
        'so a type or field-order difference counts), collection options, indexes and views. cluster0 is the source,',
        'cluster1 the destination. Prints progress on stderr and a summary on stdout.',
        '',
        '  --include NS, --exclude NS             DATABASE or DATABASE.COLLECTION; repeat the flag for more',
        '  --report FILE                          write the whole report as JSON (mismatched _ids in canonical Extended JSON)',
        '  --parallelism N                        _id ranges compared at once (1 to 64, default 4)',
        '  --max-mismatches N                     document mismatches listed in the report (default 1000; all are counted)',
        '',
        'Exit codes: 0 the clusters are equal, 1 they differ (or could not be compared), 2 bad usage.',
      ].join('\n');
    case 'clear':
      return [
        'Usage: c2c-sync clear [--api URL | --host ADDR --port N]',
        '',
        'Calls POST /api/v1/clear: ends a FAILED sync (after another try at releasing the write blocks it left set),',
        'so that /start is allowed again. /progress shows why the sync failed until then.',
        '',
        ...CLIENT_FLAGS,
      ].join('\n');
    default:
      return [
        'c2c-sync: a drop-in alternative to mongosync, run as a durable Temporal workflow.',
        '',
        'Usage:',
        '  c2c-sync --cluster0 URI --cluster1 URI [options]   run the service: worker + HTTP API (+ embedded Temporal)',
        '  c2c-sync worker --cluster0 URI --cluster1 URI ...  run one more worker (copy capacity)',
        '  c2c-sync start --source cluster0 --destination cluster1 [...]',
        '  c2c-sync progress [--watch] [--until STATE]',
        '  c2c-sync pause | resume | commit | reverse',
        '  c2c-sync clear                                     end a FAILED sync so that a new one can start',
        '  c2c-sync verify --cluster0 URI --cluster1 URI      compare two clusters (documents, options, indexes, views)',
        '  c2c-sync help [command] | --help | --version',
        '',
        'Without --temporal-address the service starts an embedded Temporal dev server (with its Web UI),',
        'keeping its database in --state-dir so syncs survive restarts.',
        '',
        'Service options (flags override environment variables, which override the config file):',
        '  --config FILE                          YAML file with the keys below (cluster0, cluster1, port, id, ...) [C2C_CONFIG]',
        ...settingLines(SETTINGS),
        '  -h, --help / -v, --version',
        '',
        `mongosync options accepted and ignored: ${IGNORED_MONGOSYNC_OPTIONS.map((o) => `--${o}`).join(', ')}.`,
        'Exit codes: 0 success, 1 the command failed (success false, API unreachable), 2 bad usage or configuration.',
      ].join('\n');
  }
}
