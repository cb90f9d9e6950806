// Starting an evacuation from the receptionist's list (override mode), as the screen shows it: the
// confirmation asked in place, the start under way, then a status line (the roll call started,
// with how many people were on site, or why it did not) and the words for each. Pure: the machine
// runs the command, the list shows these; nothing of it is stored.

import type { CommandError } from './commands';
import type { MessageKey, Params } from './i18n';

/** Why an evacuation did not start: a roll call is open at the site already, or anything else. */
export type EvacuationFailure = 'already_open' | 'failed';

/** Where starting an evacuation stands; the status line's `data-state` is its `state`. */
export type Evacuation =
  | { state: 'confirming' }
  | { state: 'starting' }
  | { state: 'started'; total: number }
  | { state: 'failed'; reason: EvacuationFailure };

/** What a failed start says: `conflict` is a roll call already open at the site. */
export function evacuationFailure(err: CommandError): EvacuationFailure {
  return err.kind === 'conflict' ? 'already_open' : 'failed';
}

export const EVACUATION_FAILURES: Record<EvacuationFailure, MessageKey> = {
  already_open: 'override.evacuation_already_open',
  failed: 'override.evacuation_failed',
};

/** The status line's words (with how many people, in a phrase that fits the number); none while confirming. */
export function evacuationStatus(e: Evacuation | null): { key: MessageKey; params?: Params } | null {
  switch (e?.state) {
    case 'starting':
      return { key: 'override.evacuation_starting' };
    case 'started':
      if (e.total === 0) return { key: 'override.evacuation_started_none' };
      if (e.total === 1) return { key: 'override.evacuation_started_one' };
      return { key: 'override.evacuation_started_many', params: { n: e.total } };
    case 'failed':
      return { key: EVACUATION_FAILURES[e.reason] };
    default:
      return null;
  }
}
