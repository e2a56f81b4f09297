// Entry point of the `c2c-sync` command (bin/c2c-sync.js).
import { ConfigError, resolveServiceConfig } from '../config';
import { ConnectionStringError } from '../mongo/connection-string';
import { redactedMessage, rememberCredentialsOf } from '../mongo/redact';
import { ApiUnreachableError } from './api-client';
import { type CliIo, runClientCommand } from './client';
import { CLIENT_COMMANDS, type ClientCommand, helpText, parseCommandLine, UsageError } from './commands';
import type * as ServiceModule from './service';
import type * as VerifyCommandModule from './verify-command';
import { VERSION } from './version';

// The service and the verifier load the Temporal and MongoDB libraries (about a CPU second): they
// are required only when they run, so that the client subcommands and --help start quickly.
/* eslint-disable @typescript-eslint/no-require-imports */
const loadService = (): typeof ServiceModule => require('./service') as typeof ServiceModule;
const loadVerifyCommand = (): typeof VerifyCommandModule => require('./verify-command') as typeof VerifyCommandModule;
/* eslint-enable @typescript-eslint/no-require-imports */

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Remembers the credentials of every connection string on the command line or in the environment, before anything can print them. */
function rememberCredentialsIn(texts: Iterable<string | undefined>): void {
  for (const text of texts) {
    const at = text?.search(/mongodb(?:\+srv)?:\/\//i) ?? -1;
    if (at >= 0) rememberCredentialsOf(text!.slice(at));
  }
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  rememberCredentialsIn([...argv, ...Object.values(io.env)]);
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.command === 'help' || parsed.flags.help === true) {
      io.stdout.write(`${helpText(parsed.command === 'help' ? parsed.topic : parsed.command)}\n`);
      return EXIT_OK;
    }
    if (parsed.flags.version === true) {
      io.stdout.write(`c2c-sync ${VERSION}\n`);
      return EXIT_OK;
    }
    if (parsed.command === 'verify') return await loadVerifyCommand().runVerifyCommand(parsed.flags, io);
    if ((CLIENT_COMMANDS as readonly string[]).includes(parsed.command)) {
      return await runClientCommand(parsed.command as ClientCommand, parsed.flags, io);
    }
    const config = resolveServiceConfig({ flags: parsed.flags, env: io.env });
    return await loadService().runService(config, parsed.command === 'worker' ? 'worker' : 'service', io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof ConnectionStringError) {
      io.stderr.write(`c2c-sync: ${redactedMessage(error)}\nRun 'c2c-sync --help' for usage.\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ApiUnreachableError) {
      io.stderr.write(`c2c-sync: ${error.message}\n`);
      return EXIT_FAILED;
    }
    io.stderr.write(`c2c-sync: ${redactedMessage(error)}\n`);
    return EXIT_FAILED;
  }
}

/**
 * Output to a reader that went away (`c2c-sync | tee log` after a Ctrl-C ended tee) must not
 * crash the process half-way through its shutdown: such writes are dropped.
 */
export function ignoreClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/** Runs main with the process's arguments and streams, and exits with its code. */
export function run(): void {
  ignoreClosedOutput();
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`c2c-sync: ${redactedMessage(error)}\n`);
      process.exit(EXIT_FAILED);
    },
  );
}
