// The app's single machine, with a `$state` object as its state so every change re-renders.
import { invoke } from '@tauri-apps/api/core';
import { bindLanguage } from './i18n';
import { KioskMachine, initialState } from './machine';

const state = $state(initialState());

export const machine = new KioskMachine({
  invoke: (cmd, args) => invoke(cmd, args),
  state,
});

bindLanguage(() => machine.s.lang);
