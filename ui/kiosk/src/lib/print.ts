// Badge printing as the screens show it: what a `PrintOutcome` (or a failed print command) becomes
// on the confirmation's status line and on a row of the receptionist's list, and the words for it.
// Pure: the machine runs the commands, the screens show these.

import type { MessageKey } from './i18n';

/** The confirmation's print status line (`data-state`); `null` when the site has no printer (no line). */
export type PrintState = 'printing' | 'printed' | 'unavailable';

/** A row's reprint status (`data-state`): the same, and "no printer" said out loud to the receptionist. */
export type ReprintState = PrintState | 'no_printer';

/**
 * What the confirmation shows of a `PrintOutcome` (taken as `unknown`: whatever the command
 * answered); anything but the known outcomes is "unavailable".
 */
export function printState(outcome: unknown): PrintState | null {
  if (outcome === 'printed') return 'printed';
  if (outcome === 'no_printer') return null;
  return 'unavailable';
}

/** What a row of the receptionist's list shows of an outcome; anything unknown is "unavailable". */
export function reprintState(outcome: unknown): ReprintState {
  return outcome === 'no_printer' ? 'no_printer' : (printState(outcome) ?? 'unavailable');
}

export const PRINT_MESSAGES: Record<PrintState, MessageKey> = {
  printing: 'print.printing',
  printed: 'print.printed',
  unavailable: 'print.unavailable',
};

export const REPRINT_MESSAGES: Record<ReprintState, MessageKey> = {
  printing: 'override.reprint_printing',
  printed: 'override.reprint_printed',
  unavailable: 'override.reprint_unavailable',
  no_printer: 'override.reprint_no_printer',
};
