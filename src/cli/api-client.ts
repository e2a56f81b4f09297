// HTTP calls from the client subcommands to a running c2c-sync API.
import { apiUrlFor, ConfigError, resolveClientConfig, type ConfigInput } from '../config';

export class ApiUnreachableError extends Error {}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
  /** the body exactly as received */
  text: string;
}

/** Where the API is and the token it wants (from --api-token, C2C_API_TOKEN or the config file). */
export interface ApiTarget {
  baseUrl: string;
  token?: string;
}

export function resolveApiTarget(input: ConfigInput): ApiTarget {
  const { apiToken } = resolveClientConfig(input);
  return { baseUrl: resolveApiUrl(input), ...(apiToken !== undefined ? { token: apiToken } : {}) };
}

/** --api, else C2C_API, else http(s)://<host>:<port> from flags, environment and config file. */
export function resolveApiUrl(input: ConfigInput): string {
  const explicit = (typeof input.flags.api === 'string' ? input.flags.api : undefined) ?? input.env.C2C_API;
  if (explicit) {
    let url: URL;
    try {
      url = new URL(explicit);
    } catch {
      throw new ConfigError(`${input.flags.api ? '--api' : 'C2C_API'}: '${explicit}' is not a URL (expected e.g. http://localhost:27182)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(`${input.flags.api ? '--api' : 'C2C_API'}: expected an http:// or https:// URL, got '${explicit}'`);
    }
    return explicit.replace(/\/+$/, '');
  }
  const config = resolveClientConfig(input);
  return apiUrlFor(config.host, config.port, config.scheme);
}

export async function callApi(target: ApiTarget, method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 10 * 60_000): Promise<ApiResponse> {
  const { baseUrl } = target;
  const headers: Record<string, string> = {
    ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
    ...(target.token !== undefined ? { authorization: `Bearer ${target.token}` } : {}),
  };
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new ApiUnreachableError(`cannot reach the c2c-sync API at ${baseUrl} (${reason}); is c2c-sync running there?`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiUnreachableError(`${baseUrl}${path} answered HTTP ${response.status} with a body that is not JSON; is this a c2c-sync API?`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || typeof (parsed as { success?: unknown }).success !== 'boolean') {
    throw new ApiUnreachableError(`${baseUrl}${path} answered HTTP ${response.status} without a mongosync envelope; is this a c2c-sync API?`);
  }
  return { status: response.status, body: parsed as Record<string, unknown>, text };
}
