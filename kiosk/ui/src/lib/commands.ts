// The ONLY place that names Tauri commands. Typed wrappers around an injected `invoke`, so the
// state machine can be tested with a fake. Arguments are one object with camelCase keys, as
// Tauri 2 maps them onto the Rust commands' snake_case parameters.

import type { Lang } from './i18n';

export type InvokeFn = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;

export const ERROR_KINDS = [
  'unreachable',
  'pin_mismatch',
  'revoked',
  'validation',
  'not_found',
  'locked',
  'keychain',
  'override_expired',
  'conflict',
  'internal',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface CommandError {
  kind: ErrorKind;
  message: string;
  fields?: Record<string, string>;
}

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

export interface KioskStatus {
  enrolled: boolean;
  tenant_name: string | null;
  site_name: string | null;
  /** The tenant's first language, once the kiosk has fetched its settings. */
  language: Lang | null;
  /** The tenant's visitor agreement per language; a language without one shows the built-in text. */
  consent_text: Partial<Record<Lang, string>>;
  idle_secs: number;
  override_idle_secs: number;
}

export interface Host {
  id: string;
  display_name: string;
}

export interface VisitorInput {
  name: string;
  email: string;
  company: string | null;
  phone: string | null;
}

export interface CheckInRequest {
  visitor: VisitorInput;
  hostId: string;
  purpose: string | null;
}

export interface CheckedIn {
  visit_id: string;
  badge_code: string;
  checked_in_at: string;
}

export interface OverrideSession {
  expires_at: string;
}

export interface OnSiteVisit {
  id: string;
  visitor_name: string;
  visitor_company: string | null;
  host_name: string;
  checked_in_at: string;
  badge_code: string;
  purpose: string | null;
}

export interface CorrectionRequest {
  visitId: string;
  visitorName: string | null;
  visitorCompany: string | null;
  purpose: string | null;
}

export interface Commands {
  kioskStatus(): Promise<KioskStatus>;
  enroll(serverUrls: string[], pins: string[], enrollmentCode: string): Promise<KioskStatus>;
  searchHosts(q: string): Promise<Host[]>;
  checkIn(req: CheckInRequest): Promise<CheckedIn>;
  checkOut(badgeCode: string): Promise<null>;
  wipe(): Promise<null>;
  overrideLogin(email: string, pin: string): Promise<OverrideSession>;
  overrideVisits(): Promise<OnSiteVisit[]>;
  overrideCheckOut(visitId: string): Promise<null>;
  overrideCheckIn(req: CheckInRequest): Promise<CheckedIn>;
  overrideCorrect(req: CorrectionRequest): Promise<null>;
  overrideExit(): Promise<null>;
}

export function createCommands(invoke: InvokeFn): Commands {
  const call = <T>(cmd: string, args?: Record<string, unknown>): Promise<T> =>
    (args === undefined ? invoke(cmd) : invoke(cmd, args)) as Promise<T>;
  const checkInArgs = (req: CheckInRequest) => ({
    visitor: { ...req.visitor },
    hostId: req.hostId,
    purpose: req.purpose,
  });
  return {
    kioskStatus: () => call('kiosk_status'),
    enroll: (serverUrls, pins, enrollmentCode) => call('enroll', { serverUrls, pins, enrollmentCode }),
    searchHosts: (q) => call('search_hosts', { q }),
    checkIn: (req) => call('check_in', checkInArgs(req)),
    checkOut: (badgeCode) => call('check_out', { badgeCode }),
    wipe: () => call('wipe'),
    overrideLogin: (email, pin) => call('override_login', { email, pin }),
    overrideVisits: () => call('override_visits'),
    overrideCheckOut: (visitId) => call('override_check_out', { visitId }),
    overrideCheckIn: (req) => call('override_check_in', checkInArgs(req)),
    overrideCorrect: (req) => call('override_correct', { ...req }),
    overrideExit: () => call('override_exit'),
  };
}
