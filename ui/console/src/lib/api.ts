// The console's one way to the server: same-origin fetch with the session cookie, the CSRF value
// on every write, and the error envelope turned into an ApiError whose message is the server's.
// Answers are JSON, or a blob for the images screens show (badge previews, the logo).

export interface Envelope {
  error: { code: string; message: string; details?: unknown; request_id?: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

let csrf = '';

/** Remembers the CSRF value `/api/v1/auth/me` gave (sent on every write). */
export function setCsrf(value: string): void {
  csrf = value;
}

let unauthorized: (() => void) | null = null;

/** Called when the session has ended under a signed-in screen (a 401 outside `/auth/`). */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

const SAFE = new Set(['GET', 'HEAD']);

/** The headers of a request: JSON when it has a body, `X-CSRF-Token` when it writes. */
export function headersFor(method: string, body: unknown, contentType = 'application/json'): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) h['content-type'] = contentType;
  if (!SAFE.has(method)) h['x-csrf-token'] = csrf;
  return h;
}

/** Turns a failed answer into an ApiError with the envelope's message. */
export async function failure(res: Response): Promise<ApiError> {
  let env: Partial<Envelope> = {};
  try {
    env = (await res.json()) as Envelope;
  } catch {
    // not JSON: keep the status
  }
  const e = env.error;
  return new ApiError(res.status, e?.code ?? 'http_' + res.status, e?.message ?? res.statusText, e?.details);
}

/** The answer to a request when it succeeded, else its ApiError (thrown). */
async function send(method: string, path: string, init: RequestInit): Promise<Response> {
  const res = await fetch(path, { method, credentials: 'same-origin', ...init });
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/v1/auth/')) unauthorized?.();
    throw await failure(res);
  }
  return res;
}

export async function request<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
  const raw = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
  const res = await send(method, path, { headers: headersFor(method, body, contentType), body: raw as string | undefined });
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A file the server makes (an image), never from a cache: for `URL.createObjectURL`. */
export async function blob(path: string): Promise<Blob> {
  const res = await send('GET', path, { headers: { ...headersFor('GET', undefined), accept: '*/*' }, cache: 'no-store' });
  return await res.blob();
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: (path: string) => request<void>('DELETE', path),
  csv: <T>(path: string, text: string) => request<T>('POST', path, text, 'text/csv'),
  blob,
};

/** An error found before sending, about `field`: shown and marked like the server's 422. */
export function invalid(field: string, message: string): ApiError {
  return new ApiError(422, 'invalid_input', message, { field });
}

/** Runs `work` and returns its error, or null when it succeeded: what a screen shows. */
export async function attempt(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
    return null;
  } catch (e) {
    return e;
  }
}

/**
 * The request field an error is about: `details.field` when the envelope names one, else the
 * `field: rule` prefix the server's validation messages start with (`consent_text.fr: ...`).
 */
export function fieldOf(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  const d = error.details;
  if (d && typeof d === 'object' && !Array.isArray(d)) {
    const field = (d as { field?: unknown }).field;
    if (typeof field === 'string') return field;
  }
  const m = /^([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+|\[\d+\])*): /.exec(error.message);
  return m ? m[1] : null;
}

/** Whether `part` is `field` or one of its parts (`field.x`, `field[0]`). */
const within = (part: string, field: string) => part === field || part.startsWith(field + '.') || part.startsWith(field + '[');

/**
 * The attributes that mark an input as the cause of `error` (when the error names `field`, a
 * part of it, or what it is part of: `names` marks `names.fr`) and point it at the message with
 * id `problemId`: spread them on the input.
 */
export function blame(error: unknown, field: string, problemId: string): Record<string, string> {
  const f = fieldOf(error);
  return f && (within(f, field) || within(field, f)) ? { 'aria-invalid': 'true', 'aria-describedby': problemId } : {};
}

/** A query string of the set values only. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
