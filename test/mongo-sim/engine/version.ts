// Server version parsing and the version-dependent behaviours the engine switches on.

export interface ServerVersion {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export function parseVersion(text: string): ServerVersion {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) throw new Error(`unsupported server version '${text}'`);
  return { text, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

export function versionAtLeast(v: ServerVersion, major: number, minor: number, patch = 0): boolean {
  if (v.major !== major) return v.major > major;
  if (v.minor !== minor) return v.minor > minor;
  return v.patch >= patch;
}

/** featureCompatibilityVersion of a fresh deployment: "major.minor". */
export function fcvOf(v: ServerVersion): string {
  return `${v.major}.${v.minor}`;
}

/** `setUserWriteBlockMode.reason` exists since 8.0.13, 8.1.2 and 8.2.0 (SERVER-102961). */
export function supportsWriteBlockReason(v: ServerVersion): boolean {
  if (v.major === 8 && v.minor === 0) return v.patch >= 13;
  if (v.major === 8 && v.minor === 1) return v.patch >= 2;
  return versionAtLeast(v, 8, 2);
}

/** Since 7.0 dropping a missing collection succeeds (SERVER-43894); before it is error 26. */
export function dropMissingIsOk(v: ServerVersion): boolean {
  return versionAtLeast(v, 7, 0);
}

/** Since 7.0 `create` with identical options on an existing collection succeeds. */
export function createIsIdempotent(v: ServerVersion): boolean {
  return versionAtLeast(v, 7, 0);
}
