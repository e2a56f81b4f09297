// The embedded Temporal server runs under a small supervisor process, so that it never outlives
// c2c-sync, however c2c-sync ends. The supervisor holds the read end of a pipe whose write end
// only c2c-sync holds: when c2c-sync exits for any reason (a clean stop, an uncaught error,
// kill -9, its terminal closing), the kernel closes that end, the supervisor reads end-of-file
// and stops the server (SIGTERM, then SIGKILL after a grace period). A SIGTERM to the supervisor
// is passed on the same way; it exits with the server's exit code.
//
// It is a script run with `node -e`, so it needs no file of its own in the installed package
// and runs the same from the sources and from dist/.

/** Grace period between SIGTERM and SIGKILL of the server. */
export const SUPERVISOR_KILL_AFTER_MS = 10_000;

const SCRIPT = `
const { spawn } = require('node:child_process');
const [command, ...args] = process.argv.slice(1);
const server = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
const stop = () => {
  if (stopping || server.exitCode !== null || server.signalCode !== null) return;
  stopping = true;
  server.kill('SIGTERM');
  setTimeout(() => server.kill('SIGKILL'), ${SUPERVISOR_KILL_AFTER_MS}).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('SIGHUP', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
server.on('error', (error) => {
  process.stderr.write('cannot run the Temporal CLI: ' + error.message + '\\n');
  process.exit(127);
});
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
`;

/** The command and arguments that run `command args` under the supervisor. */
export function supervisedCommand(command: string, args: readonly string[]): { command: string; args: string[] } {
  return { command: process.execPath, args: ['-e', SCRIPT, command, ...args] };
}
