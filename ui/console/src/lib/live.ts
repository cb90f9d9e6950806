// The live feed: one EventSource on /api/v1/events for the whole app; screens subscribe to be
// told that a visit changed (and then re-read what they show).
import { session } from './session.svelte';

type Listener = () => void;
const listeners = new Set<Listener>();
let source: EventSource | null = null;

export function startLive(): void {
  if (source) return;
  source = new EventSource('/api/v1/events');
  source.onopen = () => (session.live = 'live');
  source.onerror = () => (session.live = 'reconnecting');
  const tell = () => listeners.forEach((l) => l());
  source.addEventListener('visit', tell);
  source.addEventListener('resync', tell);
}

export function stopLive(): void {
  source?.close();
  source = null;
  session.live = 'reconnecting';
}

/** Calls `listener` on every visit change until the returned function is called. */
export function onVisitChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
