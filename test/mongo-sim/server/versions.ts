// The server versions the simulator can impersonate, and what each one reports.

export interface VersionProfile {
  /** full version string, e.g. '7.0.14' */
  version: string;
  versionArray: [number, number, number, number];
  /** 'major.minor', also the featureCompatibilityVersion */
  featureCompatibilityVersion: string;
  maxWireVersion: number;
  gitVersion: string;
}

/** Wire versions of the release series ([SPEC] wireversion-featurelist). */
const WIRE_VERSIONS: Record<string, number> = {
  '6.0': 17,
  '7.0': 21,
  '7.1': 22,
  '7.2': 23,
  '7.3': 24,
  '8.0': 25,
  '8.1': 26,
  '8.2': 27,
};

/** The patch release a bare series selects. */
const DEFAULT_PATCH: Record<string, string> = {
  '6.0': '6.0.19',
  '7.0': '7.0.14',
  '8.0': '8.0.13',
};

export const DEFAULT_VERSION = '7.0';

/** Accepts '6.0', '7.0', '8.0' or a full 'X.Y.Z' of a known series; throws on anything else. */
export function resolveVersion(requested: string = DEFAULT_VERSION): VersionProfile {
  const full = DEFAULT_PATCH[requested] ?? requested;
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(full);
  const series = match ? `${match[1]}.${match[2]}` : undefined;
  if (!match || series === undefined || WIRE_VERSIONS[series] === undefined) {
    throw new Error(
      `unsupported MongoDB version '${requested}': use 6.0, 7.0, 8.0 or a full version of the ${Object.keys(WIRE_VERSIONS).join(', ')} series`,
    );
  }
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return {
    version: full,
    versionArray: [major, minor, patch, 0],
    featureCompatibilityVersion: series,
    maxWireVersion: WIRE_VERSIONS[series],
    gitVersion: fakeGitVersion(full),
  };
}

/** A stable 40-hex-digit commit id per version, like buildInfo.gitVersion. */
function fakeGitVersion(version: string): string {
  let hex = '';
  for (let i = 0; hex.length < 40; i++) {
    hex += ((version.charCodeAt(i % version.length) * 2654435761 + i * 40503) >>> 0).toString(16).padStart(8, '0');
  }
  return hex.slice(0, 40);
}
