// Check-ins made while the server could not be reached, as the screens word them: the welcome
// screen's banner (how many wait, never who), the receptionist's section and quit warning, and
// the dialog of a refused close, each in a phrase that fits the number. Pure: the machine asks the
// Rust side, the screens show these.

import type { MessageKey, Params } from './i18n';

export interface Phrase {
  key: MessageKey;
  params?: Params;
}

function counted(n: number, one: MessageKey, many: MessageKey): Phrase {
  return n === 1 ? { key: one } : { key: many, params: { n } };
}

/** The welcome screen's banner; none when nothing waits. */
export function waitingBanner(waiting: number): Phrase | null {
  return waiting > 0 ? counted(waiting, 'welcome.offline_one', 'welcome.offline_many') : null;
}

/** The receptionist's line of how many wait. */
export function waitingLine(waiting: number): Phrase {
  return waiting > 0 ? counted(waiting, 'override.offline_one', 'override.offline_many') : { key: 'override.offline_none' };
}

/** What quitting now would lose, asked before the receptionist quits. */
export function quitWarning(waiting: number): Phrase {
  return counted(waiting, 'override.quit_confirm_one', 'override.quit_confirm_many');
}

/** Why the window did not close. */
export function quitRefusedText(waiting: number): Phrase {
  return counted(waiting, 'quit_refused.one', 'quit_refused.many');
}
