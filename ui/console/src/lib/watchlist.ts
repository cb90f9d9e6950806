// The watchlist's form as the API reads it: blank values left out when adding, sent as null
// (cleared) when editing; the expiry between `<input type=datetime-local>` (the browser's time
// zone) and RFC 3339.
import type { WatchEntry, WatchInput } from './types';

export interface WatchForm {
  name: string;
  email: string;
  reason: string;
  /** As `<input type=datetime-local>` gives it (YYYY-MM-DDTHH:mm, local time); '' for never. */
  expires: string;
}

export function emptyWatchForm(): WatchForm {
  return { name: '', email: '', reason: '', expires: '' };
}

/** A local date and time (YYYY-MM-DDTHH:mm) as an instant in RFC 3339 (UTC); null when blank or not a time. */
export function fromLocalInput(value: string): string | null {
  if (!value.trim()) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** An instant as `<input type=datetime-local>` shows it, in the browser's time zone; '' for none. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The form filled with an entry, to edit it. */
export function formOf(w: WatchEntry): WatchForm {
  return { name: w.name ?? '', email: w.email ?? '', reason: w.reason, expires: toLocalInput(w.expires_at) };
}

/** Whether the form names someone (a name or an email; the API refuses an entry of neither). */
export function namesSomeone(f: WatchForm): boolean {
  return f.name.trim() !== '' || f.email.trim() !== '';
}

/**
 * The body of `POST /api/v1/watchlist` (`patch` false: blank values left out) or of
 * `PATCH /api/v1/watchlist/{id}` (`patch` true: every field sent, a blank one as null, which
 * clears it).
 */
export function watchBody(f: WatchForm, patch: boolean): WatchInput {
  const body: WatchInput = { reason: f.reason.trim() };
  const put = (key: 'name' | 'email' | 'expires_at', value: string | null) => {
    if (value) body[key] = value;
    else if (patch) body[key] = null;
  };
  put('name', f.name.trim());
  put('email', f.email.trim());
  put('expires_at', fromLocalInput(f.expires));
  return body;
}

/** Who an entry names, for headings and confirmations: the name, else the email. */
export function whoOf(w: WatchEntry): string {
  return w.name ?? w.email ?? '';
}
