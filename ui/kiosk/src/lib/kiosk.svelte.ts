// The app's single machine, with a `$state` object as its state so every change re-renders, the
// translated errors the screens hand to @vestibule/common's components, and the one event the
// Rust side sends (a window close refused while check-ins made offline wait).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { QUIT_REFUSED_EVENT } from './commands';
import { bindLanguage, t } from './i18n';
import { KioskMachine, initialState, type Field } from './machine';

const state = $state(initialState());

export const machine = new KioskMachine({
  invoke: (cmd, args) => invoke(cmd, args),
  state,
});

bindLanguage(() => machine.s.lang);

/** The inline error of `field`, translated; null when it has none. */
export function fieldError(field: Field): string | null {
  const key = machine.s.errors[field];
  return key ? t(key) : null;
}

/** The error of the whole form, translated; null when none. */
export function formError(): string | null {
  return machine.s.formError ? t(machine.s.formError) : null;
}

/**
 * Shows the refused close's dialog whenever the Rust side says the window's close was refused
 * (its payload: how many check-ins wait). Returns what stops listening (the app's teardown).
 */
export function listenQuitRefused(): () => void {
  let stopped = false;
  let unlisten: (() => void) | null = null;
  listen<number>(QUIT_REFUSED_EVENT, (e) => machine.quitRefused(e.payload))
    .then((stop) => {
      if (stopped) stop();
      else unlisten = stop;
    })
    .catch(() => {
      // Outside the Tauri shell (or not allowed to listen): there is no close to refuse.
    });
  return () => {
    stopped = true;
    unlisten?.();
  };
}
