// The kiosk's state: what the screens show, the visitor's form, inline errors. Plain data, so the
// Svelte app can hand in a `$state` object and every change re-renders.

import type {
  AnswerInputValue,
  ErrorKind,
  ExpectedArrival,
  Host,
  HostNotification,
  InvokeFn,
  KioskStatus,
  KioskVisitorType,
  OfflineStatus,
  OnSiteVisit,
  ShownAgreementInput,
} from '../commands';
import type { Evacuation } from '../evacuation';
import type { Lang, MessageKey } from '../i18n';
import type { PrintState, ReprintState } from '../print';

export type Screen =
  | 'loading'
  | 'setup'
  | 'welcome'
  | 'invite'
  | 'type'
  | 'details'
  | 'questions'
  | 'host'
  | 'purpose'
  | 'consent'
  | 'agreement'
  | 'signature'
  | 'photo'
  | 'waiting'
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
  | 'signature'
  | 'photo'
  | 'answers'
  | `question-${string}`
  | 'checkout-code'
  | 'invite-code'
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
  /** "Send me a pass for next time" (offered when the tenant issues passes). */
  wantPass: boolean;
}

/**
 * What the visitor gave in the flow of a visitor type, besides the form: in memory only, and
 * dropped with the form once the check-in is sent or abandoned.
 */
export interface TypedForm {
  /** Where the visitor is in the type's steps (see `machine/flow.ts`). */
  step: number;
  /** Answers by question id: text, a choice's index, yes or no; absent when unanswered. */
  answers: Record<string, AnswerInputValue>;
  /** The agreements shown so far, in the type's order: the version and the language shown. */
  shown: ShownAgreementInput[];
  /** The signature, a PNG in base64 (no `data:` prefix). */
  signature: string | null;
  /** "Email me a copy" of the signed agreements. */
  emailAgreements: boolean;
  /** The photo, a JPEG in base64 (no `data:` prefix). */
  photo: string | null;
}

/**
 * A visit waiting for its host's approval: asked about until approved, denied or given up. Or a
 * visit the server held at check-in (`reception`): nothing is asked, the visitor is only sent to
 * reception (never told why), and nothing of them is kept (an empty `name`). The same when the
 * kiosk, offline, holds too many check-ins waiting for the server (`offline_full`: no visit, an
 * empty `visitId`).
 */
export interface Waiting {
  visitId: string;
  name: string;
  hostNotification: HostNotification;
  outcome: 'waiting' | 'denied' | 'gave_up' | 'reception';
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
  /** The visitor types the site offers, as fetched when the visitor tapped (not personal). */
  visitorTypes: KioskVisitorType[];
  /** The type the visitor chose; null in the built-in flow. */
  visitorType: KioskVisitorType | null;
  typed: TypedForm;
  waiting: Waiting | null;
  /**
   * An invitation's or a visitor pass's code (`kind`), and once looked up, whom it greets: their
   * first name, and the host (a pass names one only when its holder is invited today; otherwise
   * they pick one, `host`). `offline`: the server could not be reached to check it (the code
   * screen offers the walk-in check-in instead).
   */
  invite: { code: string; kind: CodeKind; greeting: Greeting | null; offline?: boolean } | null;
  /** What the confirmation shows; `hostNotification` is the server's word on whether the host is told. */
  confirmation: {
    name: string;
    badgeCode: string;
    visitId: string;
    hostNotification: HostNotification;
    hostName?: string;
    /** The host approved the visit (a visitor type that asks them). */
    approved?: boolean;
    /**
     * Checked in while the server could not be reached: `badgeCode` is provisional, the host is
     * told once the connection is back, and no badge is printed (no visit exists yet).
     */
    offline?: boolean;
    /** How the badge's printing goes (started with the confirmation); `null`: the site has no printer. */
    print: PrintState | null;
  } | null;
  checkout: { code: string; done: boolean };
  login: { email: string; pin: string };
  override: { expiresAt: string } | null;
  visits: OnSiteVisit[];
  /** Invited visitors still expected today at this site (override mode). */
  expected: ExpectedArrival[];
  correct: Correction | null;
  /** The photo the receptionist opened (base64 JPEG; `null`: none was taken), in memory only. */
  photo: { visitId: string; jpeg: string | null } | null;
  /** The badges the receptionist reprinted this session, by visit id: how each went (override mode). */
  reprints: Record<string, ReprintState>;
  /** The evacuation the receptionist is starting or started this session (override mode), in memory only. */
  evacuation: Evacuation | null;
  /**
   * The offline status last answered (`offlineStatus`), asked while the welcome screen or the
   * receptionist's list shows: how many check-ins made offline wait for the server (and, in
   * override mode only, their first names and times).
   */
  offline: OfflineStatus | null;
  /** Quitting the kiosk from the receptionist's list (override mode). */
  quit: Quit | null;
  /** The window's close was refused: how many check-ins made offline wait (the dialog shows). */
  quitRefused: number | null;
  errors: Partial<Record<Field, MessageKey>>;
  formError: MessageKey | null;
  error: { kind: ErrorKind; canRetry: boolean } | null;
  notice: MessageKey | null;
}

/**
 * Quitting the kiosk from the receptionist's list: the confirmation asked when check-ins made
 * offline wait (quitting loses them), the command sent, or its refusal.
 */
export type Quit = { state: 'confirming'; waiting: number } | { state: 'quitting' } | { state: 'failed' };

/** What a code at the kiosk stands for. */
export type CodeKind = 'invite' | 'pass';

/** Whom an invitation's or a pass's code greets. */
export interface Greeting {
  visitor_first_name: string;
  host_name: string | null;
}

export const DEFAULT_IDLE_SECS = 60;
export const DEFAULT_OVERRIDE_IDLE_SECS = 120;

export function emptyForm(): VisitorForm {
  return { name: '', email: '', company: '', phone: '', purpose: '', consent: false, wantPass: false };
}

export function emptyTyped(): TypedForm {
  return { step: 0, answers: {}, shown: [], signature: null, emailAgreements: false, photo: null };
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
    visitorTypes: [],
    visitorType: null,
    typed: emptyTyped(),
    waiting: null,
    invite: null,
    confirmation: null,
    checkout: { code: '', done: false },
    login: { email: '', pin: '' },
    override: null,
    visits: [],
    expected: [],
    correct: null,
    photo: null,
    reprints: {},
    evacuation: null,
    offline: null,
    quit: null,
    quitRefused: null,
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
  /** How often a visit waiting for its host's approval is asked about, in milliseconds. */
  approvalPollMs?: number;
  /** How long the kiosk waits for the host's approval before sending the visitor to reception. */
  approvalWaitSecs?: number;
  /** How often the offline status is asked while a screen shows it, in milliseconds. */
  offlinePollMs?: number;
  defaultLang?: Lang;
}
