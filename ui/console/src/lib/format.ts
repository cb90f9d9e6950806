// Dates and states as the console shows them.
import type { Kiosk } from './types';

export function when(iso: string | null, lang: string): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    dateStyle: 'short',
    timeStyle: 'short',
  });
}

/** A kiosk is online when it was seen in the last two minutes. */
export const ONLINE_WITHIN_MS = 2 * 60 * 1000;

export function kioskState(k: Kiosk, now: number): 'revoked' | 'online' | 'offline' {
  if (k.revoked_at) return 'revoked';
  const seen = k.last_seen_at ? Date.parse(k.last_seen_at) : 0;
  return now - seen <= ONLINE_WITHIN_MS ? 'online' : 'offline';
}

/** The browser's offset from UTC in minutes (east positive), for the dashboard's days. */
export function utcOffsetMinutes(): number {
  return -new Date().getTimezoneOffset();
}
