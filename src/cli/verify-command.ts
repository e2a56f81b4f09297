// `c2c-sync verify`: compares two clusters without a sync (say after a migration made with
// another tool) and exits 0 when the destination (cluster1) holds exactly what the source
// (cluster0) holds, 1 when it does not, 2 on bad usage.
import { accessSync, constants, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { parseClusterConnectionString } from '../mongo/connection-string';
import { redactedMessage } from '../mongo/redact';
import { compileNamespaceFilter } from '../sync/namespace-filter';
import { databaseNameProblem, namespaceNameProblem } from '../sync/namespace-names';
import type { NamespaceFilterSpec } from '../sync/start-options';
import { verifyClusters, type VerifyProgress, type VerifyReport } from '../verify/verify-clusters';
import type { CliIo, OutputStream } from './client';
import { UsageError } from './commands';

export interface VerifyCommandOptions {
  cluster0: string;
  cluster1: string;
  include: NamespaceFilterSpec[];
  exclude: NamespaceFilterSpec[];
  report?: string;
  parallelism: number;
  maxMismatches: number;
}

/** `db` (every collection of it) or `db.coll` (the rest of the argument is the collection name). */
export function parseNamespaceArgument(flag: string, text: string): NamespaceFilterSpec {
  const dot = text.indexOf('.');
  const db = dot < 0 ? text : text.slice(0, dot);
  const coll = dot < 0 ? undefined : text.slice(dot + 1);
  const problem = coll === undefined || coll === '*' ? databaseNameProblem(db) : namespaceNameProblem(db, coll);
  if (problem) throw new UsageError(`--${flag} ${JSON.stringify(text)}: ${problem} (give DATABASE or DATABASE.COLLECTION)`);
  return coll === undefined || coll === '*' ? { database: db } : { database: db, collections: [coll] };
}

function integerFlag(name: string, min: number, max: number, fallback: number, raw: unknown): number {
  if (raw === undefined) return fallback;
  const parsed = z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max)).safeParse(raw);
  if (!parsed.success) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return parsed.data;
}

const listOf = (raw: unknown): string[] => (raw === undefined ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)]);

/** Validates the verify command's flags; throws UsageError naming the flag that is wrong. */
export function parseVerifyFlags(flags: Record<string, unknown>): VerifyCommandOptions {
  const uris: Record<'cluster0' | 'cluster1', string> = { cluster0: '', cluster1: '' };
  for (const label of ['cluster0', 'cluster1'] as const) {
    const value = flags[label];
    if (typeof value !== 'string' || value === '') throw new UsageError(`--${label} URI is required (the ${label === 'cluster0' ? 'source' : 'destination'} cluster)`);
    parseClusterConnectionString(`--${label}`, value);
    uris[label] = value;
  }
  const report = flags.report;
  if (report !== undefined && (typeof report !== 'string' || report === '')) throw new UsageError('--report needs a file name');
  if (typeof report === 'string') {
    try {
      accessSync(dirname(resolve(report)), constants.W_OK);
    } catch {
      throw new UsageError(`--report ${JSON.stringify(report)}: its directory does not exist or is not writable`);
    }
  }
  return {
    ...uris,
    include: listOf(flags.include).map((text) => parseNamespaceArgument('include', text)),
    exclude: listOf(flags.exclude).map((text) => parseNamespaceArgument('exclude', text)),
    ...(typeof report === 'string' ? { report } : {}),
    parallelism: integerFlag('parallelism', 1, 64, 4, flags.parallelism),
    maxMismatches: integerFlag('max-mismatches', 0, 1_000_000, 1000, flags['max-mismatches']),
  };
}

const PLAIN_INTERVAL_MS = 5_000;

function elapsed(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

/** The progress of a verification: a bar redrawn in place on a terminal, a plain line every few seconds otherwise. */
export function verifyProgressDisplay(output: OutputStream, now: () => number = Date.now): { update(progress: VerifyProgress): void; end(): void } {
  const started = now();
  let lastPlainAt = -Infinity;
  let drawn = false;
  let last: VerifyProgress | undefined;
  const line = (p: VerifyProgress, columns: number): string => {
    const fraction = p.estimatedDocuments > 0 ? Math.min(1, p.comparedDocuments / p.estimatedDocuments) : p.phase === 'documents' && p.collectionsDone === p.collectionsTotal ? 1 : 0;
    const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
    const rate = p.comparedDocuments / Math.max(0.001, (now() - started) / 1000);
    const text =
      `${p.phase === 'documents' ? '' : `${p.phase}  `}${p.comparedDocuments} of ~${p.estimatedDocuments} documents  ` +
      `${p.collectionsDone}/${p.collectionsTotal} collections  ${p.mismatches} mismatches  ${Math.round(rate)} docs/s  (${elapsed(now() - started)})`;
    if (!output.isTTY) return `verify ${percent.trim()}  ${text}`;
    const width = Math.max(10, Math.min(40, columns - text.length - 16));
    const filled = Math.round(fraction * width);
    return `verify [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${percent}  ${text}`.slice(0, Math.max(1, columns - 1));
  };
  return {
    update(progress) {
      last = progress;
      if (output.isTTY) {
        output.write(`\r\x1b[K${line(progress, output.columns ?? 100)}`);
        drawn = true;
      } else if (now() - lastPlainAt >= PLAIN_INTERVAL_MS) {
        output.write(`${line(progress, Infinity)}\n`);
        lastPlainAt = now();
      }
    },
    end() {
      if (output.isTTY && drawn) output.write(`\r\x1b[K${last ? `${line(last, output.columns ?? 100)}\n` : ''}`);
      else if (last) output.write(`${line(last, Infinity)}\n`);
    },
  };
}

/** The summary printed at the end. */
export function verifySummary(report: VerifyReport, listed = 20): string {
  const lines = [
    report.equal ? 'verify: the clusters are equal' : 'verify: the clusters differ',
    `  namespaces ${report.totals.namespaces}, documents ${report.totals.sourceDocuments} on cluster0 and ${report.totals.destinationDocuments} on cluster1`,
    `  document mismatches ${report.totals.documentMismatches}, catalog mismatches ${report.totals.catalogMismatches}`,
  ];
  for (const ns of report.namespaces) {
    if (ns.documentMismatches > 0) lines.push(`  ${ns.namespace}: ${ns.documentMismatches} document mismatches`);
  }
  for (const mismatch of report.documentMismatches.slice(0, listed)) lines.push(`  ${mismatch.kind} ${mismatch.namespace} _id ${mismatch.id}`);
  if (report.documentMismatches.length > listed || report.totals.documentMismatches > report.documentMismatches.length) {
    lines.push(`  ... (${report.totals.documentMismatches} in all${report.documentMismatches.length < report.totals.documentMismatches ? `; the report lists ${report.documentMismatches.length}` : ''})`);
  }
  for (const mismatch of report.catalogMismatches.slice(0, listed)) lines.push(`  ${mismatch.message}`);
  if (report.catalogMismatches.length > listed) lines.push(`  ... (${report.catalogMismatches.length} catalog mismatches in all)`);
  for (const { namespace, error } of report.errors) lines.push(`  ${namespace}: not verified: ${error}`);
  return lines.join('\n');
}

/** Runs the verification; returns the exit code (0 equal, 1 not equal or failed). */
export async function runVerifyCommand(flags: Record<string, unknown>, io: CliIo): Promise<number> {
  const options = parseVerifyFlags(flags);
  const filter = compileNamespaceFilter({ includeNamespaces: options.include, excludeNamespaces: options.exclude });
  const clients = { cluster0: new MongoClient(options.cluster0), cluster1: new MongoClient(options.cluster1) };
  const display = verifyProgressDisplay(io.stderr);
  try {
    await Promise.all(
      (['cluster0', 'cluster1'] as const).map((label) =>
        clients[label].connect().catch((error: unknown) => {
          throw new Error(`cannot connect to --${label}: ${redactedMessage(error)}`);
        }),
      ),
    );
    const report = await verifyClusters(clients.cluster0, clients.cluster1, {
      includeNamespace: (db, coll) => filter.isNamespaceIncluded(db, coll),
      parallelism: options.parallelism,
      maxMismatches: options.maxMismatches,
      onProgress: (progress) => display.update(progress),
    });
    display.end();
    if (options.report) writeFileSync(options.report, `${JSON.stringify(report, null, 2)}\n`);
    io.stdout.write(`${verifySummary(report)}\n`);
    if (options.report) io.stdout.write(`  report: ${options.report}\n`);
    return report.equal ? 0 : 1;
  } finally {
    await Promise.all([clients.cluster0.close(), clients.cluster1.close()]);
  }
}
