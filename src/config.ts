// Configuration of the c2c-sync service, worker and client commands, from three layers:
// command-line flags override environment variables, which override a YAML config file with
// mongosync's keys (cluster0, cluster1, port, id, logPath, verbosity, ...). Every value is
// validated with zod, and every error names the flag, variable or file key it came from.
// Connection strings are checked with mongosync's rules and never appear in messages.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { isLoopbackHost } from './api/request-guard';
import { parseClusterConnectionString } from './mongo/connection-string';
import { redactConnectionString, redactCredentials, redactedMessage, rememberCredentialsOf } from './mongo/redact';
import { DEFAULT_VERBOSITY, VERBOSITIES, type Verbosity } from './verbosity';
import { DEFAULT_TASK_QUEUE } from './workflows/messages';
import { DEFAULT_TUNING, type SyncTuning } from './sync/state';

export class ConfigError extends Error {}

export const DEFAULT_PORT = 27182;
export const DEFAULT_HOST = 'localhost';
export const DEFAULT_SYNC_ID = 'default';
export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_TEMPORAL_UI_PORT = 8233;

function integer(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return z
    .union([z.number(), z.string().trim().regex(/^\d+$/, { error: message }).transform(Number)], { error: message })
    .pipe(z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message }));
}

const text = (what: string) => z.string({ error: `must be ${what}` }).trim().min(1, { error: `must be ${what}` });

const syncIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'must be 1-64 letters, digits, _ . or -, starting with a letter or digit' });

const verbositySchema = z
  .string({ error: `must be one of ${VERBOSITIES.join(', ')}` })
  .transform((value) => value.trim().toUpperCase())
  .pipe(z.enum(VERBOSITIES, { error: `must be one of ${VERBOSITIES.join(', ')}` }));

const hostPortSchema = z
  .string({ error: 'must be HOST:PORT' })
  .trim()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:/]+):\d{1,5}$/, { error: 'must be HOST:PORT, e.g. localhost:7233' });

const apiTokenSchema = z
  .string({ error: 'must be a string of at least 16 characters' })
  .trim()
  .regex(/^[\x21-\x7e]{16,1024}$/, { error: 'must be 16 to 1024 printable characters without spaces' });

const hostListSchema = z
  .union([z.string(), z.array(z.string())], { error: 'must be a comma-separated list of host names' })
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((name) => name.trim()).filter((name) => name !== ''))
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9.\-\[\]:]{1,255}$/, { error: 'must be host names or addresses, separated by commas' })));

/** One configurable value: its config-file key, its flag, its environment variable. */
export interface Setting {
  key: string;
  flag: string;
  /** other spellings of the flag (mongosync's camelCase, or kebab-case) */
  aliases?: string[];
  env?: string;
  schema: z.ZodType;
  description: string;
  /** shown in --help */
  valueName: string;
}

export const SETTINGS = [
  { key: 'cluster0', flag: 'cluster0', env: 'C2C_CLUSTER0', schema: text('a connection string'), valueName: 'URI', description: 'connection string of the first cluster' },
  { key: 'cluster1', flag: 'cluster1', env: 'C2C_CLUSTER1', schema: text('a connection string'), valueName: 'URI', description: 'connection string of the second cluster' },
  { key: 'port', flag: 'port', env: 'C2C_PORT', schema: integer(0, 65535), valueName: 'N', description: `HTTP API port (default ${DEFAULT_PORT}; 0 picks a free one)` },
  { key: 'host', flag: 'host', env: 'C2C_HOST', schema: text('a host name or address'), valueName: 'ADDR', description: `address the HTTP API listens on (default ${DEFAULT_HOST}; 0.0.0.0 for every interface)` },
  { key: 'apiToken', flag: 'api-token', env: 'C2C_API_TOKEN', schema: apiTokenSchema, valueName: 'TOKEN', description: 'require Authorization: Bearer TOKEN on every API request (required when --host is not a loopback address)' },
  { key: 'allowedHosts', flag: 'allowed-hosts', env: 'C2C_ALLOWED_HOSTS', schema: hostListSchema, valueName: 'NAMES', description: 'more names the API may be reached by (a proxy in front of it), comma-separated' },
  { key: 'tlsCert', flag: 'tls-cert', env: 'C2C_TLS_CERT', schema: text('a file'), valueName: 'FILE', description: 'serve the API over HTTPS with this PEM certificate (with --tls-key)' },
  { key: 'tlsKey', flag: 'tls-key', env: 'C2C_TLS_KEY', schema: text('a file'), valueName: 'FILE', description: 'the PEM private key of --tls-cert' },
  { key: 'id', flag: 'id', env: 'C2C_ID', schema: syncIdSchema, valueName: 'NAME', description: `sync id; the workflow id is c2c-sync-<id> (default ${DEFAULT_SYNC_ID})` },
  { key: 'logPath', flag: 'logPath', aliases: ['log-path'], env: 'C2C_LOG_PATH', schema: text('a directory'), valueName: 'DIR', description: 'write logs to DIR/c2c-sync.log instead of stdout' },
  { key: 'verbosity', flag: 'verbosity', env: 'C2C_VERBOSITY', schema: verbositySchema, valueName: 'LEVEL', description: `${VERBOSITIES.join(', ')} (default ${DEFAULT_VERBOSITY})` },
  { key: 'temporalAddress', flag: 'temporal-address', env: 'TEMPORAL_ADDRESS', schema: hostPortSchema, valueName: 'HOST:PORT', description: 'use this Temporal server instead of starting an embedded one' },
  { key: 'temporalNamespace', flag: 'temporal-namespace', env: 'TEMPORAL_NAMESPACE', schema: text('a namespace'), valueName: 'NS', description: 'Temporal namespace (default default)' },
  { key: 'taskQueue', flag: 'task-queue', env: 'C2C_TASK_QUEUE', schema: text('a task queue name'), valueName: 'NAME', description: `Temporal task queue of the sync (default ${DEFAULT_TASK_QUEUE})` },
  { key: 'stateDir', flag: 'state-dir', env: 'C2C_STATE_DIR', schema: text('a directory'), valueName: 'DIR', description: 'where the embedded Temporal server keeps its database (default $XDG_STATE_HOME/c2c-sync or ~/.local/state/c2c-sync)' },
  { key: 'temporalHost', flag: 'temporal-host', env: 'C2C_TEMPORAL_HOST', schema: text('a host name or address'), valueName: 'ADDR', description: 'address the embedded Temporal server and its UI listen on (default 127.0.0.1)' },
  { key: 'temporalPort', flag: 'temporal-port', env: 'C2C_TEMPORAL_PORT', schema: integer(0, 65535), valueName: 'N', description: `gRPC port of the embedded Temporal server (default ${DEFAULT_TEMPORAL_PORT}; 0 picks a free one)` },
  { key: 'temporalUiPort', flag: 'temporal-ui-port', env: 'C2C_TEMPORAL_UI_PORT', schema: integer(0, 65535), valueName: 'N', description: `Web UI port of the embedded Temporal server (default ${DEFAULT_TEMPORAL_UI_PORT}; 0 picks a free one)` },
  { key: 'maxConcurrentActivities', flag: 'max-concurrent-activities', env: 'C2C_MAX_CONCURRENT_ACTIVITIES', schema: integer(1, 1024), valueName: 'N', description: 'parallel activities (copy partitions, ...) on this worker (default 16)' },
] as const satisfies readonly Setting[];

/** mongosync options that mean nothing here: accepted so mongosync configs keep working, with a warning. */
export const IGNORED_MONGOSYNC_OPTIONS = ['acceptDisclaimer', 'disableTelemetry', 'disableMetricsLogging', 'metricsLoggingFilepath', 'loadLevel'] as const;

type SettingKey = (typeof SETTINGS)[number]['key'];

export interface ServiceConfig {
  cluster0: string;
  cluster1: string;
  port: number;
  host: string;
  /** required on every API request when set */
  apiToken?: string;
  /** more names the API may be reached by */
  allowedHosts: string[];
  /** PEM files: the API serves HTTPS when set */
  tls?: { certFile: string; keyFile: string };
  id: string;
  logPath?: string;
  verbosity: Verbosity;
  /** undefined: start an embedded Temporal dev server */
  temporalAddress?: string;
  temporalNamespace: string;
  taskQueue: string;
  stateDir: string;
  temporalHost: string;
  temporalPort: number;
  temporalUiPort: number;
  maxConcurrentActivities: number;
  /** engine knobs for new syncs, from C2C_TUNING (JSON); production defaults otherwise */
  tuning?: Partial<SyncTuning>;
  /** the config file read, if any */
  configFile?: string;
  /** notes for the log (ignored mongosync options) */
  warnings: string[];
}

export type ClientConfig = Pick<ServiceConfig, 'host' | 'port' | 'id' | 'apiToken'> & { scheme: 'http' | 'https' };

/** Flag values as parsed from the command line, by flag name. */
export type FlagValues = Record<string, string | boolean | undefined>;

export interface ConfigInput {
  flags: FlagValues;
  env: NodeJS.ProcessEnv;
}

interface Layer {
  /** describes where a key came from, for error messages */
  origin(key: string): string;
  values: Partial<Record<string, unknown>>;
}

function settingFor(key: string): Setting | undefined {
  return (SETTINGS as readonly Setting[]).find((setting) => setting.key === key);
}

function flagLayer(flags: FlagValues): Layer {
  const values: Record<string, unknown> = {};
  for (const setting of SETTINGS as readonly Setting[]) {
    for (const name of [setting.flag, ...(setting.aliases ?? [])]) {
      if (flags[name] !== undefined) values[setting.key] = flags[name];
    }
  }
  return {
    values,
    origin: (key) => {
      const setting = settingFor(key)!;
      const used = [setting.flag, ...(setting.aliases ?? [])].find((name) => flags[name] !== undefined) ?? setting.flag;
      return `--${used}`;
    },
  };
}

function envLayer(env: NodeJS.ProcessEnv): Layer {
  const values: Record<string, unknown> = {};
  for (const setting of SETTINGS as readonly Setting[]) {
    const value = setting.env ? env[setting.env] : undefined;
    if (value !== undefined && value !== '') values[setting.key] = value;
  }
  return { values, origin: (key) => `environment variable ${settingFor(key)!.env}` };
}

/** Reads a YAML config file with mongosync's keys; unknown keys are errors. */
export function readConfigFile(path: string, warnings: string[] = []): Layer {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? redactedMessage(error)}`);
  }
  let document: unknown;
  try {
    document = parseYaml(source);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new ConfigError(`config file ${path} is not valid YAML${where}: ${redactCredentials((error as Error).message.split('\n')[0]!)}`);
  }
  if (document === null || document === undefined) document = {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError(`config file ${path} must be a YAML mapping of option names to values`);
  }
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document as Record<string, unknown>)) {
    if ((IGNORED_MONGOSYNC_OPTIONS as readonly string[]).includes(key)) {
      warnings.push(`config file ${path}: mongosync option '${key}' has no effect in c2c-sync and is ignored`);
    } else if (settingFor(key)) {
      values[key] = value;
    } else {
      const known = SETTINGS.map((setting) => setting.key).join(', ');
      const shown = /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? `'${key}'` : '(a key that is not an option name)';
      throw new ConfigError(`config file ${path}: unknown key ${shown} (known keys: ${known})`);
    }
  }
  return { values, origin: (key) => `config file ${path}, key '${key}'` };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return issue.message;
}

function shownValue(key: string, value: unknown): string {
  if (key === 'cluster0' || key === 'cluster1' || key === 'apiToken') return '';
  const shown = JSON.stringify(value) ?? String(value);
  return ` (got ${redactCredentials(shown.length > 80 ? `${shown.slice(0, 80)}…` : shown)})`;
}

/** The validated value of every key given by some layer, the first layer winning. */
function mergeLayers(layers: Layer[]): { values: Partial<Record<SettingKey, unknown>>; origins: Partial<Record<SettingKey, string>> } {
  const values: Partial<Record<SettingKey, unknown>> = {};
  const origins: Partial<Record<SettingKey, string>> = {};
  for (const setting of SETTINGS) {
    const layer = layers.find((candidate) => candidate.values[setting.key] !== undefined);
    if (!layer) continue;
    const raw = layer.values[setting.key];
    const parsed = setting.schema.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigError(`${layer.origin(setting.key)}: ${parsed.error.issues.map(describeIssue).join('; ')}${shownValue(setting.key, raw)}`);
    }
    values[setting.key] = parsed.data;
    origins[setting.key] = layer.origin(setting.key);
  }
  return { values, origins };
}

function configFilePath(input: ConfigInput): string | undefined {
  const fromFlag = input.flags.config;
  if (typeof fromFlag === 'string' && fromFlag !== '') return resolve(fromFlag);
  const fromEnv = input.env.C2C_CONFIG;
  return fromEnv ? resolve(fromEnv) : undefined;
}

function layersFor(input: ConfigInput, warnings: string[]): { layers: Layer[]; configFile?: string } {
  const configFile = configFilePath(input);
  const layers = [flagLayer(input.flags), envLayer(input.env)];
  if (configFile) layers.push(readConfigFile(configFile, warnings));
  // before anything can fail: no message about any setting may show a credential
  for (const layer of layers) {
    for (const key of ['cluster0', 'cluster1']) {
      const value = layer.values[key];
      if (typeof value === 'string') rememberCredentialsOf(value);
    }
  }
  for (const option of IGNORED_MONGOSYNC_OPTIONS) {
    if (input.flags[option] !== undefined) warnings.push(`mongosync option --${option} has no effect in c2c-sync and is ignored`);
  }
  return { layers, configFile };
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'c2c-sync');
}

const tuningSchema = z.strictObject(
  Object.fromEntries(Object.keys(DEFAULT_TUNING).map((key) => [key, z.number().int().positive()])) as Record<keyof SyncTuning, z.ZodNumber>,
).partial();

/** C2C_TUNING: a JSON object overriding some of the engine's knobs (see src/sync/state.ts). */
export function parseTuning(raw: string | undefined): Partial<SyncTuning> | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError('environment variable C2C_TUNING: must be a JSON object');
  }
  const parsed = tuningSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const what = issue.code === 'unrecognized_keys' ? `unknown knob ${issue.keys.map((k) => `'${k}'`).join(', ')}` : `'${issue.path.join('.')}' ${issue.message}`;
    throw new ConfigError(`environment variable C2C_TUNING: ${what} (knobs: ${Object.keys(DEFAULT_TUNING).join(', ')})`);
  }
  return parsed.data as Partial<SyncTuning>;
}

/** The configuration of `c2c-sync` (service) and `c2c-sync worker`: both clusters are required. */
export function resolveServiceConfig(input: ConfigInput): ServiceConfig {
  const warnings: string[] = [];
  const { layers, configFile } = layersFor(input, warnings);
  const { values, origins } = mergeLayers(layers);
  for (const label of ['cluster0', 'cluster1'] as const) {
    const uri = values[label] as string | undefined;
    if (uri === undefined) {
      throw new ConfigError(`${label} is required: give --${label} URI, set C2C_${label.toUpperCase()}, or put ${label} in the config file`);
    }
    try {
      parseClusterConnectionString(label, uri);
    } catch (error) {
      throw new ConfigError(`${origins[label]}: ${redactedMessage(error)}`);
    }
  }
  const host = (values.host as string | undefined) ?? DEFAULT_HOST;
  const apiToken = values.apiToken as string | undefined;
  if (!isLoopbackHost(host) && apiToken === undefined) {
    throw new ConfigError(
      `${origins.host}: the API would listen on ${host}, where other machines can reach it, without an API token; ` +
        'set one with --api-token, C2C_API_TOKEN or apiToken in the config file (clients then send Authorization: Bearer <token>), ' +
        'or listen on localhost',
    );
  }
  return {
    cluster0: values.cluster0 as string,
    cluster1: values.cluster1 as string,
    port: (values.port as number | undefined) ?? DEFAULT_PORT,
    host,
    ...(apiToken !== undefined ? { apiToken } : {}),
    allowedHosts: (values.allowedHosts as string[] | undefined) ?? [],
    ...tlsFiles(values, origins),
    id: (values.id as string | undefined) ?? DEFAULT_SYNC_ID,
    ...(values.logPath !== undefined ? { logPath: resolve(values.logPath as string) } : {}),
    verbosity: (values.verbosity as Verbosity | undefined) ?? DEFAULT_VERBOSITY,
    ...(values.temporalAddress !== undefined ? { temporalAddress: values.temporalAddress as string } : {}),
    temporalNamespace: (values.temporalNamespace as string | undefined) ?? 'default',
    taskQueue: (values.taskQueue as string | undefined) ?? DEFAULT_TASK_QUEUE,
    stateDir: resolve((values.stateDir as string | undefined) ?? defaultStateDir(input.env)),
    temporalHost: (values.temporalHost as string | undefined) ?? '127.0.0.1',
    temporalPort: (values.temporalPort as number | undefined) ?? DEFAULT_TEMPORAL_PORT,
    temporalUiPort: (values.temporalUiPort as number | undefined) ?? DEFAULT_TEMPORAL_UI_PORT,
    maxConcurrentActivities: (values.maxConcurrentActivities as number | undefined) ?? 16,
    ...(input.env.C2C_TUNING ? { tuning: parseTuning(input.env.C2C_TUNING) } : {}),
    ...(configFile ? { configFile } : {}),
    warnings,
  };
}

function tlsFiles(values: Partial<Record<SettingKey, unknown>>, origins: Partial<Record<SettingKey, string>>): { tls?: { certFile: string; keyFile: string } } {
  const cert = values.tlsCert as string | undefined;
  const key = values.tlsKey as string | undefined;
  if (cert === undefined && key === undefined) return {};
  if (cert === undefined || key === undefined) {
    const given = cert === undefined ? origins.tlsKey : origins.tlsCert;
    throw new ConfigError(`${given}: HTTPS needs both a certificate and its key (--tls-cert and --tls-key)`);
  }
  return { tls: { certFile: resolve(cert), keyFile: resolve(key) } };
}

/** The configuration of the client subcommands: where the API listens. Clusters are not needed. */
export function resolveClientConfig(input: ConfigInput): ClientConfig {
  const { layers } = layersFor(input, []);
  const { values } = mergeLayers(layers);
  const apiToken = values.apiToken as string | undefined;
  return {
    port: (values.port as number | undefined) ?? DEFAULT_PORT,
    host: (values.host as string | undefined) ?? DEFAULT_HOST,
    id: (values.id as string | undefined) ?? DEFAULT_SYNC_ID,
    ...(apiToken !== undefined ? { apiToken } : {}),
    scheme: values.tlsCert !== undefined ? 'https' : 'http',
  };
}

/** The configuration as the service logs it at start-up: connection strings without credentials. */
export function configForLog(config: ServiceConfig, mode: 'service' | 'worker', version: string): Record<string, unknown> {
  return {
    mode,
    version,
    cluster0: redactConnectionString(config.cluster0),
    cluster1: redactConnectionString(config.cluster1),
    port: config.port,
    host: config.host,
    apiToken: config.apiToken === undefined ? null : '(set)',
    allowedHosts: config.allowedHosts,
    tls: config.tls ?? null,
    id: config.id,
    verbosity: config.verbosity,
    logPath: config.logPath ?? null,
    temporalAddress: config.temporalAddress ?? null,
    temporalNamespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    maxConcurrentActivities: config.maxConcurrentActivities,
    ...(config.temporalAddress ? {} : { stateDir: config.stateDir }),
    ...(config.configFile ? { config: config.configFile } : {}),
  };
}

/** The base URL a client uses to reach an API listening on host:port. */
export function apiUrlFor(host: string, port: number, scheme: 'http' | 'https' = 'http'): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const bracketed = reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable;
  return `${scheme}://${bracketed}:${port}`;
}

export { DEFAULT_TASK_QUEUE };
