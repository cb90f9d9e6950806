// The kiosk's state machine, in plain TypeScript: no Svelte, no DOM. It owns the current screen,
// the form, inline errors, idle timers, wiping, the language and the reception (override) session.
// Commands go through an injected `invoke`, timers through an injected `Timers`, so tests drive it
// with fakes. The Svelte app passes a `$state` object as `state`, making every mutation reactive;
// the machine only ever mutates properties of that object, never replaces it.

import {
  createCommands,
  toCommandError,
  type CheckInRequest,
  type Commands,
  type CommandError,
  type ErrorKind,
  type Host,
  type InvokeFn,
  type KioskStatus,
  type OnSiteVisit,
} from './commands';
import type { Lang, MessageKey } from './i18n';
import {
  lines,
  normaliseCode,
  validateBadgeCode,
  validateCompany,
  validateEmail,
  validateEnrollmentCode,
  validateName,
  validatePhone,
  validatePin,
  validatePins,
  validatePurpose,
  validateServerUrls,
  type FieldError,
} from './validation';

export type Screen =
  | 'loading'
  | 'setup'
  | 'welcome'
  | 'details'
  | 'host'
  | 'purpose'
  | 'consent'
  | 'confirmation'
  | 'checkout'
  | 'override-login'
  | 'override-list'
  | 'override-correct'
  | 'error';

/** Names of inline-error slots; the UI shows each as `data-testid="error-<field>"`. */
export type Field =
  | 'urls'
  | 'pins'
  | 'code'
  | 'name'
  | 'email'
  | 'company'
  | 'phone'
  | 'host'
  | 'purpose'
  | 'consent'
  | 'checkout-code'
  | 'override-email'
  | 'override-pin'
  | 'correct-name'
  | 'correct-company'
  | 'correct-purpose';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real timers, looked up at call time (so test fake timers also apply). */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface VisitorForm {
  name: string;
  email: string;
  company: string;
  phone: string;
  purpose: string;
  consent: boolean;
}

export interface Correction {
  visitId: string;
  name: string;
  company: string;
  purpose: string;
  original: { name: string; company: string; purpose: string };
}

export interface KioskState {
  screen: Screen;
  lang: Lang;
  busy: boolean;
  status: KioskStatus | null;
  setup: { urls: string; pins: string; code: string };
  form: VisitorForm;
  hostQuery: string;
  hosts: Host[];
  hostSearching: boolean;
  hostSearchFailed: boolean;
  host: Host | null;
  confirmation: { name: string; badgeCode: string; visitId: string } | null;
  checkout: { code: string; done: boolean };
  login: { email: string; pin: string };
  override: { expiresAt: string } | null;
  visits: OnSiteVisit[];
  correct: Correction | null;
  errors: Partial<Record<Field, MessageKey>>;
  formError: MessageKey | null;
  error: { kind: ErrorKind; canRetry: boolean } | null;
  notice: MessageKey | null;
}

export const DEFAULT_IDLE_SECS = 60;
export const DEFAULT_OVERRIDE_IDLE_SECS = 120;

export function emptyForm(): VisitorForm {
  return { name: '', email: '', company: '', phone: '', purpose: '', consent: false };
}

export function initialState(): KioskState {
  return {
    screen: 'loading',
    lang: 'en',
    busy: false,
    status: null,
    setup: { urls: '', pins: '', code: '' },
    form: emptyForm(),
    hostQuery: '',
    hosts: [],
    hostSearching: false,
    hostSearchFailed: false,
    host: null,
    confirmation: null,
    checkout: { code: '', done: false },
    login: { email: '', pin: '' },
    override: null,
    visits: [],
    correct: null,
    errors: {},
    formError: null,
    error: null,
    notice: null,
  };
}

export interface MachineOptions {
  invoke: InvokeFn;
  timers?: Timers;
  /** The state object to mutate (a Svelte `$state` proxy in the app); a fresh plain one by default. */
  state?: KioskState;
  /** How long the confirmation stays up before returning to welcome. */
  confirmationSecs?: number;
  /** How long the check-out success message stays up. */
  checkoutDoneSecs?: number;
  /** Debounce of the host search, in milliseconds. */
  searchDebounceMs?: number;
  defaultLang?: Lang;
}

/** Screens of the visitor flow that the visitor idle timeout applies to. */
const VISITOR_IDLE_SCREENS: ReadonlySet<Screen> = new Set<Screen>([
  'details',
  'host',
  'purpose',
  'consent',
  'checkout',
  'override-login',
  'error',
]);

/** Maps a server/Rust field path onto an inline-error slot of the check-in form. */
function checkInField(path: string): Field | null {
  const leaf = path.replace(/^visitor[._]/, '').replace(/^\//, '');
  switch (leaf) {
    case 'name':
    case 'visitor_name':
    case 'visitorName':
      return 'name';
    case 'email':
      return 'email';
    case 'company':
      return 'company';
    case 'phone':
      return 'phone';
    case 'host':
    case 'host_id':
    case 'hostId':
      return 'host';
    case 'purpose':
      return 'purpose';
    default:
      return null;
  }
}

function setupField(path: string): Field | null {
  if (/url/i.test(path)) return 'urls';
  if (/pin/i.test(path)) return 'pins';
  if (/code/i.test(path)) return 'code';
  return null;
}

function loginField(path: string): Field | null {
  if (/email/i.test(path)) return 'override-email';
  if (/pin/i.test(path)) return 'override-pin';
  return null;
}

function correctField(path: string): Field | null {
  if (/company/i.test(path)) return 'correct-company';
  if (/name/i.test(path)) return 'correct-name';
  if (/purpose/i.test(path)) return 'correct-purpose';
  return null;
}

function orNull(s: string): string | null {
  const v = s.trim();
  return v.length === 0 ? null : v;
}

type TimerKind = 'idle' | 'override-idle' | 'confirmation' | 'checkout-done';

export class KioskMachine {
  readonly s: KioskState;
  private readonly cmd: Commands;
  private readonly timers: Timers;
  private readonly confirmationMs: number;
  private readonly checkoutDoneMs: number;
  private readonly debounceMs: number;
  private readonly defaultLang: Lang;

  private timer: unknown = null;
  private timerKind: TimerKind | null = null;
  private searchTimer: unknown = null;
  private searchSeq = 0;
  /** Bumped whenever the visitor's data is wiped: late answers from before are dropped. */
  private epoch = 0;
  private retryAction: (() => Promise<void>) | null = null;
  /** The exact check-in payload awaiting an answer; a retry re-sends this very payload. */
  private pendingCheckIn: { req: CheckInRequest; override: boolean } | null = null;

  constructor(opts: MachineOptions) {
    this.cmd = createCommands(opts.invoke);
    this.timers = opts.timers ?? realTimers;
    this.s = opts.state ?? initialState();
    this.confirmationMs = (opts.confirmationSecs ?? 15) * 1000;
    this.checkoutDoneMs = (opts.checkoutDoneSecs ?? 6) * 1000;
    this.debounceMs = opts.searchDebounceMs ?? 200;
    this.defaultLang = opts.defaultLang ?? 'en';
    this.s.lang = this.defaultLang;
  }

  // ---------------------------------------------------------------- startup and setup

  /** Asks the Rust side for the kiosk's status and shows setup or welcome. */
  async init(): Promise<void> {
    this.go('loading');
    try {
      const status = await this.cmd.kioskStatus();
      this.applyStatus(status);
      this.go(status.enrolled ? 'welcome' : 'setup');
    } catch (e) {
      this.handleError(toCommandError(e), () => this.init());
    }
  }

  private applyStatus(status: KioskStatus): void {
    this.s.status = { ...status };
  }

  get idleMs(): number {
    const v = this.s.status?.idle_secs;
    return (typeof v === 'number' && v > 0 ? v : DEFAULT_IDLE_SECS) * 1000;
  }

  get overrideIdleMs(): number {
    const v = this.s.status?.override_idle_secs;
    return (typeof v === 'number' && v > 0 ? v : DEFAULT_OVERRIDE_IDLE_SECS) * 1000;
  }

  async enroll(): Promise<void> {
    if (this.s.busy) return;
    const { urls, pins, code } = this.s.setup;
    this.clearErrors();
    this.setErrors({ urls: validateServerUrls(urls), pins: validatePins(pins), code: validateEnrollmentCode(code) });
    if (this.hasErrors()) return;
    const serverUrls = lines(urls);
    const pinList = lines(pins);
    const enrollmentCode = normaliseCode(code);
    const send = async (): Promise<void> => {
      this.s.busy = true;
      try {
        const status = await this.cmd.enroll(serverUrls, pinList, enrollmentCode);
        this.applyStatus(status);
        if (status.enrolled) {
          this.s.setup = { urls: '', pins: '', code: '' };
          this.s.notice = null;
          this.go('welcome');
        } else {
          this.go('setup');
          this.s.formError = 'form.enroll_failed';
        }
      } catch (e) {
        const err = toCommandError(e);
        if (this.handleError(err, send)) return;
        this.go('setup');
        if (!this.applyFieldErrors(err, setupField)) {
          this.s.formError = err.kind === 'locked' ? 'form.locked' : 'form.enroll_failed';
        }
      } finally {
        this.s.busy = false;
      }
    };
    await send();
  }

  // ---------------------------------------------------------------- welcome

  setLang(lang: Lang): void {
    this.s.lang = lang;
  }

  startCheckIn(): void {
    this.resetVisitor();
    this.s.notice = null;
    this.go('details');
  }

  startCheckOut(): void {
    this.s.checkout = { code: '', done: false };
    this.s.notice = null;
    this.clearErrors();
    this.go('checkout');
  }

  startOverrideLogin(): void {
    this.s.login = { email: '', pin: '' };
    this.s.notice = null;
    this.clearErrors();
    this.go('override-login');
  }

  // ---------------------------------------------------------------- visitor flow

  /** Validates the visitor's details and moves on to the host search. */
  detailsNext(): void {
    const f = this.s.form;
    this.clearErrors();
    this.setErrors({
      name: validateName(f.name),
      email: validateEmail(f.email),
      company: validateCompany(f.company),
      phone: validatePhone(f.phone),
    });
    if (this.hasErrors()) return;
    this.go('host');
  }

  /** Sets the host search text; searches after a short pause in typing. */
  setHostQuery(q: string): void {
    this.s.hostQuery = q;
    this.s.hostSearchFailed = false;
    if (this.searchTimer !== null) this.timers.clearTimeout(this.searchTimer);
    this.searchTimer = null;
    const seq = ++this.searchSeq;
    const query = q.trim();
    if (query.length === 0) {
      this.s.hosts = [];
      this.s.hostSearching = false;
      return;
    }
    this.s.hostSearching = true;
    this.searchTimer = this.timers.setTimeout(() => {
      this.searchTimer = null;
      void this.runSearch(query, seq);
    }, this.debounceMs);
  }

  private async runSearch(query: string, seq: number): Promise<void> {
    const epoch = this.epoch;
    try {
      const hosts = await this.cmd.searchHosts(query);
      if (seq !== this.searchSeq || epoch !== this.epoch) return;
      this.s.hosts = hosts.map((h) => ({ id: h.id, display_name: h.display_name }));
    } catch (e) {
      if (seq !== this.searchSeq || epoch !== this.epoch) return;
      const err = toCommandError(e);
      if (err.kind === 'unreachable' || err.kind === 'internal' || err.kind === 'validation' || err.kind === 'locked') {
        this.s.hosts = [];
        this.s.hostSearchFailed = true;
      } else {
        this.handleError(err, null);
      }
    } finally {
      if (seq === this.searchSeq && epoch === this.epoch) this.s.hostSearching = false;
    }
  }

  pickHost(host: Host): void {
    this.s.host = { id: host.id, display_name: host.display_name };
    this.clearErrors();
    this.go('purpose');
  }

  purposeNext(): void {
    this.clearErrors();
    this.setErrors({ purpose: validatePurpose(this.s.form.purpose) });
    if (this.hasErrors()) return;
    if (!this.s.host) {
      this.go('host');
      this.setErrors({ host: 'field.host_required' });
      return;
    }
    this.go('consent');
  }

  /** The consent text to show: the tenant's, or the dictionary default (`null`). */
  get consentText(): string | null {
    const text = this.s.status?.consent_text;
    return text && text.trim().length > 0 ? text : null;
  }

  /** Builds the payload from the form (trimmed; optional fields empty → null). */
  private checkInRequest(): CheckInRequest | null {
    const f = this.s.form;
    if (!this.s.host) return null;
    return {
      visitor: { name: f.name.trim(), email: f.email.trim(), company: orNull(f.company), phone: orNull(f.phone) },
      hostId: this.s.host.id,
      purpose: orNull(f.purpose),
    };
  }

  /** Checks the visitor in (via the override command when a receptionist is logged in). */
  async submitCheckIn(): Promise<void> {
    if (this.s.busy) return;
    this.clearErrors();
    if (!this.s.form.consent) {
      this.setErrors({ consent: 'field.consent_required' });
      return;
    }
    // Re-validate everything: the visitor may have come back through the screens.
    const f = this.s.form;
    const detailErrors = {
      name: validateName(f.name),
      email: validateEmail(f.email),
      company: validateCompany(f.company),
      phone: validatePhone(f.phone),
    };
    this.setErrors(detailErrors);
    if (this.hasErrors()) {
      this.go('details');
      return;
    }
    const req = this.checkInRequest();
    if (!req) {
      this.go('host');
      this.setErrors({ host: 'field.host_required' });
      return;
    }
    const same =
      this.pendingCheckIn && JSON.stringify(this.pendingCheckIn.req) === JSON.stringify(req) ? this.pendingCheckIn : null;
    this.pendingCheckIn = same ?? { req, override: this.s.override !== null };
    await this.sendPendingCheckIn();
  }

  /** Sends (or re-sends, on retry) the pending check-in with exactly the same payload. */
  private async sendPendingCheckIn(): Promise<void> {
    const pending = this.pendingCheckIn;
    if (!pending) return;
    const epoch = this.epoch;
    this.s.busy = true;
    try {
      const res = pending.override ? await this.cmd.overrideCheckIn(pending.req) : await this.cmd.checkIn(pending.req);
      if (epoch !== this.epoch) return;
      this.pendingCheckIn = null;
      this.s.confirmation = { name: pending.req.visitor.name, badgeCode: res.badge_code, visitId: res.visit_id };
      // Keep only what the confirmation shows; the rest of the form goes now.
      this.s.form = emptyForm();
      this.s.host = null;
      this.s.hosts = [];
      this.s.hostQuery = '';
      this.s.error = null;
      this.retryAction = null;
      this.go('confirmation');
    } catch (e) {
      if (epoch !== this.epoch) return;
      const err = toCommandError(e);
      if (this.handleError(err, () => this.sendPendingCheckIn())) return;
      this.pendingCheckIn = null;
      if (err.kind === 'validation' && err.fields && Object.keys(err.fields).length > 0) {
        this.applyFieldErrors(err, checkInField);
        const order: Array<[Screen, Field[]]> = [
          ['details', ['name', 'email', 'company', 'phone']],
          ['host', ['host']],
          ['purpose', ['purpose']],
        ];
        const target = order.find(([, fields]) => fields.some((k) => this.s.errors[k]));
        this.go(target ? target[0] : 'consent');
        if (!target) this.s.formError = 'form.rejected';
      } else if (err.kind === 'not_found') {
        this.s.host = null;
        this.go('host');
        this.setErrors({ host: 'field.host_required' });
      } else {
        this.go('consent');
        this.s.formError = err.kind === 'locked' ? 'form.locked' : err.kind === 'conflict' ? 'form.conflict' : 'form.rejected';
      }
    } finally {
      if (epoch === this.epoch) this.s.busy = false;
    }
  }

  /** Leaves the confirmation: wipes everything and returns to welcome (or the on-site list). */
  async confirmationDone(): Promise<void> {
    if (this.s.override) {
      await this.wipe(false);
      this.go('override-list');
      await this.loadVisits();
    } else {
      await this.wipe(true);
      this.go('welcome');
    }
  }

  /** The back button of each screen. */
  async back(): Promise<void> {
    switch (this.s.screen) {
      case 'details':
        if (this.s.override) {
          await this.wipe(false);
          this.go('override-list');
        } else {
          await this.wipe(false);
          this.go('welcome');
        }
        return;
      case 'host':
        this.clearErrors();
        this.go('details');
        return;
      case 'purpose':
        this.clearErrors();
        this.go('host');
        return;
      case 'consent':
        this.clearErrors();
        this.go('purpose');
        return;
      case 'checkout':
        this.s.checkout = { code: '', done: false };
        this.clearErrors();
        this.go('welcome');
        return;
      case 'override-login':
        this.s.login = { email: '', pin: '' };
        this.clearErrors();
        this.go('welcome');
        return;
      case 'override-correct':
        this.s.correct = null;
        this.clearErrors();
        this.go('override-list');
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- check-out

  setCheckoutCode(raw: string): void {
    this.s.checkout.code = normaliseCode(raw);
  }

  async submitCheckOut(): Promise<void> {
    if (this.s.busy) return;
    this.clearErrors();
    const code = normaliseCode(this.s.checkout.code);
    this.s.checkout.code = code;
    this.setErrors({ 'checkout-code': validateBadgeCode(code) });
    if (this.hasErrors()) return;
    const send = async (): Promise<void> => {
      const epoch = this.epoch;
      this.s.busy = true;
      try {
        await this.cmd.checkOut(code);
        if (epoch !== this.epoch) return;
        this.s.checkout = { code: '', done: true };
        this.retryAction = null;
        this.s.error = null;
        this.go('checkout');
      } catch (e) {
        if (epoch !== this.epoch) return;
        const err = toCommandError(e);
        if (this.handleError(err, send)) return;
        this.go('checkout');
        if (err.kind === 'not_found') this.setErrors({ 'checkout-code': 'form.not_found_badge' });
        else if (err.kind === 'validation') this.setErrors({ 'checkout-code': 'field.badge_invalid' });
        else this.s.formError = err.kind === 'locked' ? 'form.locked' : err.kind === 'conflict' ? 'form.conflict' : 'form.rejected';
      } finally {
        if (epoch === this.epoch) this.s.busy = false;
      }
    };
    await send();
  }

  checkoutDone(): void {
    this.s.checkout = { code: '', done: false };
    this.go('welcome');
  }

  // ---------------------------------------------------------------- reception (override)

  async overrideLogin(): Promise<void> {
    if (this.s.busy) return;
    this.clearErrors();
    const email = this.s.login.email.trim();
    const pin = this.s.login.pin;
    this.setErrors({ 'override-email': validateEmail(email), 'override-pin': validatePin(pin) });
    if (this.hasErrors()) return;
    const send = async (): Promise<void> => {
      const epoch = this.epoch;
      this.s.busy = true;
      try {
        const session = await this.cmd.overrideLogin(email, pin);
        if (epoch !== this.epoch) return;
        this.s.login = { email: '', pin: '' };
        this.s.override = { expiresAt: session.expires_at };
        this.s.error = null;
        this.retryAction = null;
        this.go('override-list');
        this.s.busy = false;
        await this.loadVisits();
      } catch (e) {
        if (epoch !== this.epoch) return;
        const err = toCommandError(e);
        this.s.login.pin = '';
        if (this.handleError(err, send)) return;
        this.go('override-login');
        if (!this.applyFieldErrors(err, loginField)) {
          this.s.formError = err.kind === 'locked' ? 'form.locked' : 'form.bad_login';
        }
      } finally {
        if (epoch === this.epoch) this.s.busy = false;
      }
    };
    await send();
  }

  async loadVisits(): Promise<void> {
    if (!this.s.override) return;
    const epoch = this.epoch;
    this.s.busy = true;
    try {
      const visits = await this.cmd.overrideVisits();
      if (epoch !== this.epoch || !this.s.override) return;
      this.s.visits = visits.map((v) => ({ ...v }));
    } catch (e) {
      if (epoch !== this.epoch) return;
      const err = toCommandError(e);
      if (this.handleError(err, () => this.reloadList())) return;
      this.s.formError = 'form.rejected';
    } finally {
      if (epoch === this.epoch) this.s.busy = false;
    }
  }

  private async reloadList(): Promise<void> {
    this.s.error = null;
    this.go('override-list');
    await this.loadVisits();
  }

  async overrideCheckOut(visitId: string): Promise<void> {
    if (this.s.busy || !this.s.override) return;
    this.clearErrors();
    const send = async (): Promise<void> => {
      const epoch = this.epoch;
      this.s.busy = true;
      try {
        await this.cmd.overrideCheckOut(visitId);
        if (epoch !== this.epoch) return;
      } catch (e) {
        if (epoch !== this.epoch) return;
        const err = toCommandError(e);
        if (this.handleError(err, send)) return;
        this.s.formError = err.kind === 'not_found' || err.kind === 'conflict' ? 'form.conflict' : 'form.rejected';
      } finally {
        if (epoch === this.epoch) this.s.busy = false;
      }
      if (this.s.screen === 'error') this.go('override-list');
      this.s.error = null;
      await this.loadVisits();
    };
    await send();
  }

  startOverrideCheckIn(): void {
    if (!this.s.override) return;
    this.resetVisitor();
    this.go('details');
  }

  startCorrect(visit: OnSiteVisit): void {
    if (!this.s.override) return;
    const original = { name: visit.visitor_name, company: visit.visitor_company ?? '', purpose: visit.purpose ?? '' };
    this.s.correct = { visitId: visit.id, ...original, original };
    this.clearErrors();
    this.go('override-correct');
  }

  async saveCorrect(): Promise<void> {
    const c = this.s.correct;
    if (this.s.busy || !c || !this.s.override) return;
    this.clearErrors();
    this.setErrors({
      'correct-name': validateName(c.name),
      'correct-company': validateCompany(c.company),
      'correct-purpose': validatePurpose(c.purpose),
    });
    if (this.hasErrors()) return;
    // null = unchanged; a cleared optional field is sent as "" (clear it).
    const changed = (now: string, before: string): string | null => (now.trim() === before.trim() ? null : now.trim());
    const req = {
      visitId: c.visitId,
      visitorName: changed(c.name, c.original.name),
      visitorCompany: changed(c.company, c.original.company),
      purpose: changed(c.purpose, c.original.purpose),
    };
    if (req.visitorName === null && req.visitorCompany === null && req.purpose === null) {
      this.s.correct = null;
      this.go('override-list');
      return;
    }
    const send = async (): Promise<void> => {
      const epoch = this.epoch;
      this.s.busy = true;
      try {
        await this.cmd.overrideCorrect(req);
        if (epoch !== this.epoch) return;
        this.s.correct = null;
        this.s.error = null;
        this.go('override-list');
        this.s.busy = false;
        await this.loadVisits();
      } catch (e) {
        if (epoch !== this.epoch) return;
        const err = toCommandError(e);
        if (this.handleError(err, send)) return;
        this.go('override-correct');
        if (!this.applyFieldErrors(err, correctField)) {
          this.s.formError = err.kind === 'conflict' || err.kind === 'not_found' ? 'form.conflict' : 'form.rejected';
        }
      } finally {
        if (epoch === this.epoch) this.s.busy = false;
      }
    };
    await send();
  }

  /** Ends the reception session: tells the Rust side, wipes everything, back to welcome. */
  async overrideExit(notice: MessageKey | null = null): Promise<void> {
    const wasActive = this.s.override !== null;
    this.s.override = null;
    this.s.visits = [];
    this.s.correct = null;
    this.s.login = { email: '', pin: '' };
    this.clearTimer();
    if (wasActive) {
      try {
        await this.cmd.overrideExit();
      } catch {
        // The session is gone either way; nothing to show.
      }
    }
    await this.wipe(true);
    this.s.notice = notice;
    this.go('welcome');
  }

  // ---------------------------------------------------------------- errors

  /** The error screen's retry: re-sends the very request that failed. */
  async retry(): Promise<void> {
    const action = this.retryAction;
    if (!action || this.s.busy) return;
    await action();
  }

  /** The error screen's way out. */
  async errorHome(): Promise<void> {
    const kind = this.s.error?.kind;
    if (kind === 'keychain') return;
    this.retryAction = null;
    this.pendingCheckIn = null;
    this.s.error = null;
    if (!this.s.status?.enrolled) {
      this.go('setup');
    } else if (this.s.override) {
      await this.wipe(false);
      this.go('override-list');
      await this.loadVisits();
    } else {
      await this.wipe(true);
      this.go('welcome');
    }
  }

  /**
   * Handles the kinds that are the same wherever they happen. Returns false for the kinds the
   * caller shows inline (validation, not_found, locked, conflict).
   */
  private handleError(err: CommandError, retry: (() => Promise<void>) | null): boolean {
    switch (err.kind) {
      case 'unreachable':
      case 'internal':
        this.showError(err.kind, retry);
        return true;
      case 'pin_mismatch':
        this.pendingCheckIn = null;
        this.showError('pin_mismatch', null);
        return true;
      case 'keychain':
        this.pendingCheckIn = null;
        this.showError('keychain', null);
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

  private showError(kind: ErrorKind, retry: (() => Promise<void>) | null): void {
    this.retryAction = retry;
    this.s.error = { kind, canRetry: retry !== null };
    this.s.busy = false;
    this.go('error');
  }

  private async revoked(): Promise<void> {
    this.s.override = null;
    this.s.visits = [];
    this.s.correct = null;
    this.retryAction = null;
    this.pendingCheckIn = null;
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
    this.pendingCheckIn = null;
    if (this.searchTimer !== null) this.timers.clearTimeout(this.searchTimer);
    this.searchTimer = null;
    this.searchSeq++;
    this.resetVisitor();
    this.s.confirmation = null;
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

  private resetVisitor(): void {
    this.s.form = emptyForm();
    this.s.host = null;
    this.s.hosts = [];
    this.s.hostQuery = '';
    this.s.hostSearching = false;
    this.s.hostSearchFailed = false;
    this.clearErrors();
  }

  private async idleTimeout(): Promise<void> {
    this.clearTimer();
    await this.wipe(true);
    this.go('welcome');
  }

  /** Stops every timer (for the app's teardown). */
  dispose(): void {
    this.clearTimer();
    if (this.searchTimer !== null) this.timers.clearTimeout(this.searchTimer);
    this.searchTimer = null;
  }

  // ---------------------------------------------------------------- internals

  private go(screen: Screen): void {
    this.s.screen = screen;
    this.armTimer();
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.timerKind = null;
  }

  /** Starts the countdown that fits the current screen (or none). */
  private armTimer(): void {
    this.clearTimer();
    const screen = this.s.screen;
    let kind: TimerKind | null = null;
    let ms = 0;
    let fire: () => void = () => {};
    if (screen === 'confirmation') {
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

  private clearErrors(): void {
    this.s.errors = {};
    this.s.formError = null;
  }

  private setErrors(errs: Partial<Record<Field, FieldError>>): void {
    for (const [field, key] of Object.entries(errs) as Array<[Field, FieldError]>) {
      if (key) this.s.errors[field] = key;
    }
  }

  private hasErrors(): boolean {
    return Object.keys(this.s.errors).length > 0;
  }

  /** Puts a server `validation` error's fields onto the matching inputs. True if any matched. */
  private applyFieldErrors(err: CommandError, map: (path: string) => Field | null): boolean {
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
}
