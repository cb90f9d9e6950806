// The machine's core, shared by every flow: the state object, the commands, timers (idle,
// override idle, confirmation, the approval poll), screen changes, error handling and the wipe.
// What the visitor typed is emptied in place when it goes (the form's fields set to empty
// strings, the pending check-in's copy blanked), so no object left behind still holds it.

import { createCommands, type CheckInArgs, type CommandError, type Commands, type ErrorKind, type KioskStatus } from '../commands';
import { LANGS, type Lang, type MessageKey } from '../i18n';
import type { FieldError } from '../validation';
import { emptyForm, emptyTyped, initialState, realTimers, type Field, type KioskState, type MachineOptions, type Screen, type Timers } from './state';
import { DEFAULT_IDLE_SECS, DEFAULT_OVERRIDE_IDLE_SECS } from './state';

/** Screens of the visitor flow that the visitor idle timeout applies to. */
const VISITOR_IDLE_SCREENS: ReadonlySet<Screen> = new Set<Screen>([
  'invite',
  'type',
  'details',
  'questions',
  'host',
  'purpose',
  'consent',
  'agreement',
  'signature',
  'photo',
  'checkout',
  'override-login',
  'error',
]);

type TimerKind = 'idle' | 'override-idle' | 'confirmation' | 'checkout-done';

export abstract class MachineCore {
  readonly s: KioskState;
  protected readonly cmd: Commands;
  protected readonly timers: Timers;
  protected readonly confirmationMs: number;
  protected readonly checkoutDoneMs: number;
  protected readonly debounceMs: number;
  protected readonly approvalPollMs: number;
  protected readonly approvalWaitMs: number;
  /** The language the welcome screen starts in: the tenant's once known, else the option's. */
  protected defaultLang: Lang;

  protected timer: unknown = null;
  protected timerKind: TimerKind | null = null;
  protected searchTimer: unknown = null;
  protected searchSeq = 0;
  /** The next question about a visit waiting for its host's approval. */
  protected pollTimer: unknown = null;
  /** Bumped whenever the visitor's data is wiped: late answers from before are dropped. */
  protected epoch = 0;
  protected retryAction: (() => Promise<void>) | null = null;
  /** The exact check-in payload awaiting an answer; a retry re-sends this very payload. */
  protected pendingCheckIn: { req: CheckInArgs; override: boolean } | null = null;

  constructor(opts: MachineOptions) {
    this.cmd = createCommands(opts.invoke);
    this.timers = opts.timers ?? realTimers;
    this.s = opts.state ?? initialState();
    this.confirmationMs = (opts.confirmationSecs ?? 15) * 1000;
    this.checkoutDoneMs = (opts.checkoutDoneSecs ?? 6) * 1000;
    this.debounceMs = opts.searchDebounceMs ?? 200;
    this.approvalPollMs = opts.approvalPollMs ?? 2500;
    this.approvalWaitMs = (opts.approvalWaitSecs ?? 180) * 1000;
    this.defaultLang = opts.defaultLang ?? 'en';
    this.s.lang = this.defaultLang;
  }

  protected applyStatus(status: KioskStatus): void {
    this.s.status = { ...status, consent_text: { ...status.consent_text } };
    const lang = status.language;
    if (lang && LANGS.includes(lang) && lang !== this.defaultLang) {
      this.defaultLang = lang;
      // Only between visitors: never switch the language under someone's feet (nor while the
      // welcome screen fetches the visitor types after a tap).
      const between = this.s.screen === 'loading' || this.s.screen === 'setup' || (this.s.screen === 'welcome' && !this.s.busy);
      if (between) this.s.lang = lang;
    }
  }

  get idleMs(): number {
    const v = this.s.status?.idle_secs;
    return (typeof v === 'number' && v > 0 ? v : DEFAULT_IDLE_SECS) * 1000;
  }

  get overrideIdleMs(): number {
    const v = this.s.status?.override_idle_secs;
    return (typeof v === 'number' && v > 0 ? v : DEFAULT_OVERRIDE_IDLE_SECS) * 1000;
  }

  /**
   * Handles the kinds that are the same wherever they happen. Returns false for the kinds the
   * caller shows inline (validation, not_found, locked, conflict).
   */
  protected handleError(err: CommandError, retry: (() => Promise<void>) | null): boolean {
    switch (err.kind) {
      case 'unreachable':
      case 'internal':
        this.showError(err.kind, retry);
        return true;
      case 'pin_mismatch':
        this.dropPending();
        this.showError('pin_mismatch', null);
        return true;
      case 'keychain':
        this.dropPending();
        this.showError('keychain', null);
        return true;
      case 'offline_full':
        this.offlineFull();
        return true;
      case 'revoked':
        void this.revoked();
        return true;
      case 'override_expired':
        if (this.s.override) {
          void this.overrideExit('welcome.override_ended');
          return true;
        }
        this.showError('internal', retry);
        return true;
      default:
        return false;
    }
  }

  protected showError(kind: ErrorKind, retry: (() => Promise<void>) | null): void {
    this.retryAction = retry;
    this.s.error = { kind, canRetry: retry !== null };
    this.s.busy = false;
    this.go('error');
  }

  /**
   * Offline, too many check-ins wait sealed for the server (`offline_full`): the visitor is sent
   * to reception on the neutral screen, and what they typed is dropped.
   */
  protected offlineFull(): void {
    this.dropPending();
    this.retryAction = null;
    this.s.error = null;
    this.stopPolling();
    this.dropForm();
    this.s.waiting = { visitId: '', name: '', hostNotification: 'none', outcome: 'reception' };
    this.s.busy = false;
    this.go('waiting');
  }

  protected async revoked(): Promise<void> {
    this.s.override = null;
    this.s.visits = [];
    this.s.expected = [];
    this.s.correct = null;
    this.s.reprints = {};
    this.s.evacuation = null;
    this.retryAction = null;
    this.dropPending();
    this.s.error = null;
    if (this.s.status) this.s.status = { ...this.s.status, enrolled: false };
    await this.wipe(true);
    this.s.notice = 'setup.revoked';
    this.go('setup');
  }

  // ---------------------------------------------------------------- idle and wipe

  /** Any pointer, key or touch event: restarts the idle countdown. */
  activity(): void {
    if (this.timerKind === 'idle' || this.timerKind === 'override-idle') this.armTimer();
  }

  /** Clears the visitor's data here and asks the Rust side to zeroize its copy. */
  async wipe(resetLang: boolean): Promise<void> {
    this.epoch++;
    this.dropPending();
    if (this.searchTimer !== null) this.timers.clearTimeout(this.searchTimer);
    this.searchTimer = null;
    this.searchSeq++;
    this.stopPolling();
    this.resetVisitor();
    this.s.confirmation = null;
    this.s.waiting = null;
    this.s.checkout = { code: '', done: false };
    this.s.login = { email: '', pin: '' };
    this.s.busy = false;
    if (this.s.error && this.s.error.kind !== 'keychain') {
      this.s.error = null;
      this.retryAction = null;
    }
    if (resetLang) this.s.lang = this.defaultLang;
    try {
      await this.cmd.wipe();
    } catch {
      // Best effort: the Rust side also wipes on its own timers and on exit.
    }
  }

  protected resetVisitor(): void {
    this.dropForm();
    this.s.invite = null;
    this.s.hostSearching = false;
    this.s.hostSearchFailed = false;
    this.clearErrors();
  }

  /**
   * Drops what the visitor gave (their details, host, answers, signature and photo): the form's
   * fields become empty strings in place (the same object, so nothing still referring to it keeps
   * the old values), and the answers are deleted from their object before it is replaced.
   */
  protected dropForm(): void {
    Object.assign(this.s.form, emptyForm());
    this.s.host = null;
    this.s.hosts = [];
    this.s.hostQuery = '';
    this.s.visitorType = null;
    const answers = this.s.typed.answers;
    for (const id of Object.keys(answers)) delete answers[id];
    Object.assign(this.s.typed, emptyTyped());
  }

  /** Forgets the check-in awaiting an answer, blanking its copy of what the visitor typed. */
  protected dropPending(): void {
    const pending = this.pendingCheckIn;
    this.pendingCheckIn = null;
    if (pending) blankCheckIn(pending.req);
  }

  protected stopPolling(): void {
    if (this.pollTimer !== null) this.timers.clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  protected async idleTimeout(): Promise<void> {
    this.clearTimer();
    await this.wipe(true);
    this.go('welcome');
  }

  /** Stops every timer (for the app's teardown). */
  dispose(): void {
    this.clearTimer();
    this.stopPolling();
    if (this.searchTimer !== null) this.timers.clearTimeout(this.searchTimer);
    this.searchTimer = null;
  }

  // ---------------------------------------------------------------- internals

  protected go(screen: Screen): void {
    this.s.screen = screen;
    this.armTimer();
  }

  protected clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.timerKind = null;
  }

  /** Starts the countdown that fits the current screen (or none). */
  protected armTimer(): void {
    this.clearTimer();
    const screen = this.s.screen;
    let kind: TimerKind | null = null;
    let ms = 0;
    let fire: () => void = () => {};
    if (screen === 'confirmation' || (screen === 'waiting' && this.s.waiting?.outcome !== 'waiting')) {
      kind = 'confirmation';
      ms = this.confirmationMs;
      fire = () => void this.confirmationDone();
    } else if (screen === 'checkout' && this.s.checkout.done) {
      kind = 'checkout-done';
      ms = this.checkoutDoneMs;
      fire = () => this.checkoutDone();
    } else if (screen === 'error' && this.s.error?.kind === 'keychain') {
      kind = null;
    } else if (this.s.override && screen !== 'welcome' && screen !== 'setup' && screen !== 'loading') {
      kind = 'override-idle';
      ms = this.overrideIdleMs;
      fire = () => void this.overrideExit();
    } else if (VISITOR_IDLE_SCREENS.has(screen)) {
      kind = 'idle';
      ms = this.idleMs;
      fire = () => void this.idleTimeout();
    }
    if (kind === null) return;
    this.timerKind = kind;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.timerKind = null;
      fire();
    }, ms);
  }

  protected clearErrors(): void {
    this.s.errors = {};
    this.s.formError = null;
  }

  protected setErrors(errs: Partial<Record<Field, FieldError>>): void {
    for (const [field, key] of Object.entries(errs) as Array<[Field, FieldError]>) {
      if (key) this.s.errors[field] = key;
    }
  }

  protected hasErrors(): boolean {
    return Object.keys(this.s.errors).length > 0;
  }

  /** Puts a server `validation` error's fields onto the matching inputs. True if any matched. */
  protected applyFieldErrors(err: CommandError, map: (path: string) => Field | null): boolean {
    if (err.kind !== 'validation' || !err.fields) return false;
    let any = false;
    for (const path of Object.keys(err.fields)) {
      const field = map(path);
      if (field) {
        this.s.errors[field] = 'field.server_rejected';
        any = true;
      }
    }
    return any;
  }

  /** Leaves the confirmation screen. */
  abstract confirmationDone(): Promise<void>;
  /** Leaves the check-out success message. */
  abstract checkoutDone(): void;
  /** Ends the override session. */
  abstract overrideExit(notice?: MessageKey | null): Promise<void>;
}

/** Empties a check-in payload in place: its visitor's details, purpose, answers and images. */
export function blankCheckIn(req: CheckInArgs): void {
  Object.assign(req.visitor, { name: '', email: '', company: null, phone: null });
  req.purpose = null;
  req.answers.length = 0;
  req.signature = null;
  req.photo = null;
}
