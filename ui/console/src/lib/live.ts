// The live feed: one EventSource on /api/v1/events for the whole app (same origin, so the
// session cookie goes along); screens subscribe to be told that a visit changed (and then
// re-read what they show: events carry ids only; the changes of a moment get one read). The
// browser reconnects by itself after a dropped connection; after a refused one (the source is
// closed) we start over in a while.
import { session } from './session.svelte';

type Listener = () => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;
let retry: ReturnType<typeof setTimeout> | null = null;
let reopened = false;

/** How long to wait before opening the feed again after the server refused it. */
export const RETRY_MS = 10_000;

export function startLive(): void {
  if (source) return;
  const es = new EventSource('/api/v1/events');
  source = es;
  es.onopen = () => {
    session.live = 'live';
    // After a gap, changes may have been missed: read again.
    if (reopened) tell();
    reopened = true;
  };
  es.onerror = () => {
    session.live = 'reconnecting';
    if (es.readyState === EventSource.CLOSED && source === es) {
      source = null;
      retry = setTimeout(() => {
        retry = null;
        if (session.me) startLive();
      }, RETRY_MS);
    }
  };
  es.addEventListener('visit', tell);
  es.addEventListener('resync', tell);
}

/** How long changes are gathered before screens read again: the server hands on a moment's
 * changes together, and one read answers them all. */
const GATHER_MS = 50;
let telling: ReturnType<typeof setTimeout> | null = null;

function tell(): void {
  telling ??= setTimeout(() => {
    telling = null;
    listeners.forEach((l) => l());
  }, GATHER_MS);
}

export function stopLive(): void {
  if (retry) clearTimeout(retry);
  retry = null;
  source?.close();
  source = null;
  reopened = false;
  session.live = 'reconnecting';
}

/** Calls `listener` on every visit change until the returned function is called. */
export function onVisitChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
