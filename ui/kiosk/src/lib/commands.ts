// The ONLY place that names Tauri commands. Typed wrappers around an injected `invoke`, so the
// state machine can be tested with a fake. Each command takes one `args` object. Its type, every
// result's and the error's are generated from the Rust types into `./generated` (by ts-rs, see
// kiosk/src/typescript.rs, which also fails when they are stale): never edit those by hand.

import type { AgreementText } from './generated/AgreementText';
import type { AnswerInputValue } from './generated/AnswerInputValue';
import type { CheckedIn } from './generated/CheckedIn';
import type { CheckInArgs } from './generated/CheckInArgs';
import type { CheckOutArgs } from './generated/CheckOutArgs';
import type { CommandError } from './generated/CommandError';
import type { CorrectionArgs } from './generated/CorrectionArgs';
import type { DirectoryEntry } from './generated/DirectoryEntry';
import type { EnrollArgs } from './generated/EnrollArgs';
import type { ErrorKind } from './generated/ErrorKind';
import type { ExpectedArrival } from './generated/ExpectedArrival';
import type { HostNotification } from './generated/HostNotification';
import type { InviteArgs } from './generated/InviteArgs';
import type { InviteGreeting } from './generated/InviteGreeting';
import type { InvitedArgs } from './generated/InvitedArgs';
import type { PassArgs } from './generated/PassArgs';
import type { PassGreeting } from './generated/PassGreeting';
import type { KioskAgreement } from './generated/KioskAgreement';
import type { KioskQuestion } from './generated/KioskQuestion';
import type { KioskStatus } from './generated/KioskStatus';
import type { KioskVisitorType } from './generated/KioskVisitorType';
import type { KioskVisitState } from './generated/KioskVisitState';
import type { OfflineStatus } from './generated/OfflineStatus';
import type { PrintOutcome } from './generated/PrintOutcome';
import type { OnSiteVisit } from './generated/OnSiteVisit';
import type { OverrideLoginArgs } from './generated/OverrideLoginArgs';
import type { OverrideSession } from './generated/OverrideSession';
import type { SearchHostsArgs } from './generated/SearchHostsArgs';
import type { ShownAgreementInput } from './generated/ShownAgreementInput';
import type { TypeIcon } from './generated/TypeIcon';
import type { VisitArgs } from './generated/VisitArgs';
import type { VisitorInput } from './generated/VisitorInput';
import type { WaitingVisitor } from './generated/WaitingVisitor';

export type {
  AgreementText,
  AnswerInputValue,
  CheckedIn,
  CheckInArgs,
  CommandError,
  CorrectionArgs,
  ErrorKind,
  ExpectedArrival,
  HostNotification,
  InviteGreeting,
  KioskAgreement,
  KioskQuestion,
  KioskStatus,
  KioskVisitorType,
  KioskVisitState,
  OfflineStatus,
  PassGreeting,
  OnSiteVisit,
  OverrideSession,
  ShownAgreementInput,
  TypeIcon,
  VisitorInput,
  WaitingVisitor,
};

/**
 * An evacuation the receptionist started: the roll call's id and how many people were on site at
 * the kiosk's site when it started. (Defined here until the Rust side generates it into
 * `./generated`.)
 */
export type EvacuationStarted = { id: string; total: number };

/** A host of the directory, as the kiosk sees one. */
export type Host = DirectoryEntry;

export type InvokeFn = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;

/**
 * The event the Rust side emits when the window was asked to close while check-ins made offline
 * wait to be sent (the close is refused); its payload is how many wait.
 */
export const QUIT_REFUSED_EVENT = 'quit-refused';

/** Every `ErrorKind`, at run time (a test checks it against the generated type). */
export const ERROR_KINDS = [
  'unreachable',
  'pin_mismatch',
  'revoked',
  'validation',
  'not_found',
  'locked',
  'keychain',
  'override_expired',
  'offline_full',
  'conflict',
  'internal',
] as const satisfies readonly ErrorKind[];

/** Turns whatever a command rejected with into a `CommandError` (unknown shapes become `internal`). */
export function toCommandError(e: unknown): CommandError {
  if (e && typeof e === 'object' && 'kind' in e) {
    const o = e as { kind: unknown; message?: unknown; fields?: unknown };
    const kind = (ERROR_KINDS as readonly unknown[]).includes(o.kind) ? (o.kind as ErrorKind) : 'internal';
    const out: CommandError = { kind, message: typeof o.message === 'string' ? o.message : '' };
    if (o.fields && typeof o.fields === 'object') {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(o.fields as Record<string, unknown>)) fields[k] = String(v);
      out.fields = fields;
    }
    return out;
  }
  return { kind: 'internal', message: typeof e === 'string' ? e : '' };
}

export interface Commands {
  kioskStatus(): Promise<KioskStatus>;
  enroll(serverUrls: string[], pins: string[], enrollmentCode: string): Promise<KioskStatus>;
  searchHosts(q: string): Promise<Host[]>;
  /** The visitor types the site offers (none: the built-in check-in). */
  visitorTypes(): Promise<KioskVisitorType[]>;
  checkIn(args: CheckInArgs): Promise<CheckedIn>;
  /** Where a visit waiting for its host's approval stands. */
  visitState(visitId: string): Promise<KioskVisitState>;
  lookupInvite(code: string): Promise<InviteGreeting>;
  redeemInvite(code: string): Promise<CheckedIn>;
  lookupPass(code: string): Promise<PassGreeting>;
  /** Checks a pass holder in with the host they picked (`null`: their invitation's host). */
  redeemPass(code: string, hostId: string | null): Promise<CheckedIn>;
  checkOut(badgeCode: string): Promise<null>;
  wipe(): Promise<null>;
  overrideLogin(email: string, pin: string): Promise<OverrideSession>;
  overrideVisits(): Promise<OnSiteVisit[]>;
  overrideExpected(): Promise<ExpectedArrival[]>;
  overrideCheckInInvited(inviteId: string): Promise<null>;
  overrideCheckOut(visitId: string): Promise<null>;
  overrideCheckIn(args: CheckInArgs): Promise<CheckedIn>;
  overrideCorrect(args: CorrectionArgs): Promise<null>;
  overrideExit(): Promise<null>;
  /** A visitor's photo (base64 JPEG, in memory only); `null` when none was taken. */
  overridePhoto(visitId: string): Promise<string | null>;
  /** Prints the badge of a visit this kiosk just checked in (can take a few seconds). */
  printBadge(visitId: string): Promise<PrintOutcome>;
  /** Prints again the badge of any visit on site (override mode). */
  overridePrintBadge(visitId: string): Promise<PrintOutcome>;
  /**
   * Starts an evacuation of the kiosk's site (override mode): the server snapshots everyone on
   * site and emails the site's emergency contacts the roll call's link. `conflict`: one is open.
   */
  overrideStartEvacuation(): Promise<EvacuationStarted>;
  /**
   * How many check-ins made offline wait sealed for the server, whether the server answers, and
   * (in override mode only) who waits: first names and times.
   */
  offlineStatus(): Promise<OfflineStatus>;
  /**
   * Quits the kiosk. Refused (`validation` on `pin`) while check-ins wait and no receptionist is
   * logged in: quitting would lose them.
   */
  quit(): Promise<null>;
}

export function createCommands(invoke: InvokeFn): Commands {
  const call = <T>(cmd: string): Promise<T> => invoke(cmd) as Promise<T>;
  const callWith = <A, T>(cmd: string, args: A): Promise<T> => invoke(cmd, { args }) as Promise<T>;
  const checkInArgs = (a: CheckInArgs): CheckInArgs => ({
    visitor: { ...a.visitor },
    host_id: a.host_id,
    purpose: a.purpose,
    want_pass: a.want_pass,
    visitor_type_id: a.visitor_type_id,
    answers: a.answers.map((x) => ({ ...x })),
    agreements: a.agreements.map((x) => ({ ...x })),
    signature: a.signature,
    photo: a.photo,
    email_agreements: a.email_agreements,
  });
  return {
    kioskStatus: () => call('kiosk_status'),
    enroll: (serverUrls, pins, enrollmentCode) =>
      callWith<EnrollArgs, KioskStatus>('enroll', { server_urls: serverUrls, pins, enrollment_code: enrollmentCode }),
    searchHosts: (q) => callWith<SearchHostsArgs, Host[]>('search_hosts', { q }),
    visitorTypes: () => call('visitor_types'),
    checkIn: (args) => callWith('check_in', checkInArgs(args)),
    visitState: (visitId) => callWith<VisitArgs, KioskVisitState>('visit_state', { visit_id: visitId }),
    lookupInvite: (code) => callWith<InviteArgs, InviteGreeting>('lookup_invite', { code }),
    redeemInvite: (code) => callWith<InviteArgs, CheckedIn>('redeem_invite', { code }),
    lookupPass: (code) => callWith<InviteArgs, PassGreeting>('lookup_pass', { code }),
    redeemPass: (code, hostId) => callWith<PassArgs, CheckedIn>('redeem_pass', { code, host_id: hostId }),
    checkOut: (badgeCode) => callWith<CheckOutArgs, null>('check_out', { badge_code: badgeCode }),
    wipe: () => call('wipe'),
    overrideLogin: (email, pin) => callWith<OverrideLoginArgs, OverrideSession>('override_login', { email, pin }),
    overrideVisits: () => call('override_visits'),
    overrideExpected: () => call('override_expected'),
    overrideCheckInInvited: (inviteId) => callWith<InvitedArgs, null>('override_check_in_invited', { invite_id: inviteId }),
    overrideCheckOut: (visitId) => callWith<VisitArgs, null>('override_check_out', { visit_id: visitId }),
    overrideCheckIn: (args) => callWith('override_check_in', checkInArgs(args)),
    overrideCorrect: (args) => callWith<CorrectionArgs, null>('override_correct', { ...args }),
    overrideExit: () => call('override_exit'),
    overridePhoto: (visitId) => callWith<VisitArgs, string | null>('override_photo', { visit_id: visitId }),
    printBadge: (visitId) => callWith<VisitArgs, PrintOutcome>('print_badge', { visit_id: visitId }),
    overridePrintBadge: (visitId) => callWith<VisitArgs, PrintOutcome>('override_print_badge', { visit_id: visitId }),
    overrideStartEvacuation: () => call('override_start_evacuation'),
    offlineStatus: () => call('offline_status'),
    quit: () => call('quit'),
  };
}
