// Downloads the pinned Temporal CLI release from its official source (the temporalio/cli GitHub
// release) and installs it only when the archive's SHA-256 equals the value pinned here, which
// is the one the release's own checksums.txt lists. A mirror (TEMPORAL_CLI_DOWNLOAD_BASE) may
// serve the archive, but cannot change what is accepted.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { StepProgress } from './install-progress';

export const OFFICIAL_RELEASE_BASE = 'https://github.com/temporalio/cli/releases/download';

/** SHA-256 of the v1.5.1 release archives, as listed in that release's checksums.txt. */
const RELEASE_SHA256: Record<string, Record<string, string>> = {
  '1.5.1': {
    linux_amd64: 'ddc95e08b0b076efd4ea9733a3f488eb7d2be875f8834e616cd2a37358b4852d',
    linux_arm64: 'bd1b0db9f18b051026de8bf6cc1505f2510f14bbb7a8b9a4a91fff46c77454f5',
    darwin_amd64: 'bbb73e2a31135abe50a1f1cdb35030c42961df618e8ce9c60ae89f201540c5d9',
    darwin_arm64: 'cca01b7ea35ad56e2a328d9ae596bf716bd22313ef63c7a761c88354457c2415',
  },
};

const GO_ARCH: Partial<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };
/** No answer within this long: the network is taken as unreachable. */
const CONNECT_TIMEOUT_MS = 20_000;
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

export class DownloadError extends Error {}

export interface ReleaseAsset {
  name: string;
  url: string;
  sha256: string;
}

/** The release archive for this platform, or undefined when none is published or pinned. */
export function releaseAsset(
  version: string,
  options: { platform?: string; arch?: string; baseUrl?: string; checksums?: Record<string, string> } = {},
): ReleaseAsset | undefined {
  const platform = options.platform ?? process.platform;
  const arch = GO_ARCH[options.arch ?? process.arch];
  if ((platform !== 'linux' && platform !== 'darwin') || !arch) return undefined;
  const key = `${platform}_${arch}`;
  const sha256 = (options.checksums ?? RELEASE_SHA256[version])?.[key];
  if (!sha256) return undefined;
  const name = `temporal_cli_${version}_${key}.tar.gz`;
  const base = (options.baseUrl ?? OFFICIAL_RELEASE_BASE).replace(/\/+$/, '');
  return { name, url: `${base}/v${version}/${name}`, sha256 };
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if ((error as Error).name === 'TimeoutError') return 'no answer in time';
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * Downloads `asset`, checks its digest, and installs its `temporal` binary as `binDir/temporal`
 * (atomically: a failed or refused download leaves nothing behind). Returns the binary's path.
 */
export async function downloadTemporalCli(asset: ReleaseAsset, binDir: string, progress: StepProgress): Promise<string> {
  mkdirSync(binDir, { recursive: true });
  const work = mkdtempSync(join(binDir, '.download-'));
  try {
    const archive = join(work, asset.name);
    const controller = new AbortController();
    const connectTimer = setTimeout(() => controller.abort(new DOMException('no answer', 'TimeoutError')), CONNECT_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetch(asset.url, { signal: AbortSignal.any([controller.signal, AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS)]) });
    } catch (error) {
      throw new DownloadError(`cannot download ${asset.url}: ${reasonOf(error)}`);
    } finally {
      clearTimeout(connectTimer);
    }
    if (!response.ok || !response.body) throw new DownloadError(`cannot download ${asset.url}: HTTP ${response.status}`);
    const total = Number(response.headers.get('content-length') ?? 0);
    const hash = createHash('sha256');
    let received = 0;
    const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
      progress.update(total > 0 ? `${mb(received)} of ${mb(total)} MB` : `${mb(received)} MB`);
    });
    try {
      await pipeline(body, createWriteStream(archive));
    } catch (error) {
      throw new DownloadError(`the download of ${asset.url} broke off: ${reasonOf(error)}`);
    }
    const digest = hash.digest('hex');
    if (digest !== asset.sha256) {
      throw new DownloadError(`${asset.name} has SHA-256 ${digest}, not the official release's ${asset.sha256}: refused`);
    }
    const extracted = spawnSync('tar', ['-xzf', archive, '-C', work, 'temporal'], { encoding: 'utf8' });
    if (extracted.status !== 0) {
      throw new DownloadError(`cannot unpack ${asset.name} (tar: ${(extracted.stderr || extracted.error?.message || '').trim()})`);
    }
    const binary = join(binDir, 'temporal');
    chmodSync(join(work, 'temporal'), 0o755);
    renameSync(join(work, 'temporal'), binary);
    return binary;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
