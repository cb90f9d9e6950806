// The app's single machine, with a `$state` object as its state so every change re-renders, and
// the translated errors the screens hand to @vestibule/common's components.
import { invoke } from '@tauri-apps/api/core';
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
