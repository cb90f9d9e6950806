// The fake Tauri side the machine's tests drive it against: a recording `invoke` answering from
// per-command handlers, the tenant's status, hosts and visits, and a started machine.
import type { InvokeFn, KioskStatus } from '../src/lib/commands';
import { KioskMachine, realTimers, type MachineOptions } from '../src/lib/machine';

export type Args = Record<string, unknown> | undefined;
export type Handler = (args: Args) => unknown;

export const STATUS: KioskStatus = {
  enrolled: true,
  tenant_name: 'ACME',
  site_name: 'Paris',
  language: null,
  consent_text: {},
  idle_secs: 60,
  override_idle_secs: 120,
  passes: false,
  directory_min_chars: 2,
  directory_exact: false,
};

export const HOSTS = [
  { id: 'h-1', display_name: 'Alice Martin' },
  { id: 'h-2', display_name: 'Alain Durand' },
];

export const CHECKED_IN = {
  visit_id: 'v-1',
  status: 'on_site',
  badge_code: 'ABCD2345',
  checked_in_at: '2025-01-01T09:00:00Z',
  host_notification: 'queued',
};

export const VISITS = [
  {
    id: 'v-1',
    visitor_name: 'Ada Lovelace',
    visitor_company: 'Analytical Engines',
    host_name: 'Alice Martin',
    checked_in_at: '2025-01-01T09:00:00Z',
    badge_code: 'ABCD2345',
    purpose: 'Demo',
  },
];

/** What `override_start_evacuation` answers: the roll call's id and how many were on site. */
export const EVACUATION_STARTED = { id: 'e-1', total: 1 };

/** What `offline_status` answers by default: nothing waits, the server answers, the key is held. */
export const OFFLINE_STATUS = { waiting: 0, limit: 50, reachable: true, ready: true, visitors: null };

export const EXPECTED = [
  { id: 'i-1', visitor_name: 'Ivy Invited', host_name: 'Alice Martin', expected_at: '2025-01-01T10:00:00Z' },
];

/** A fake `invoke`: records every call (deep-copied) and answers from per-command handlers. */
export function fake(overrides: Record<string, Handler> = {}, status: Partial<KioskStatus> = {}) {
  const calls: Array<{ cmd: string; args: Args }> = [];
  const handlers: Record<string, Handler> = {
    kiosk_status: () => ({ ...STATUS, ...status }),
    visitor_types: () => [],
    wipe: () => null,
    search_hosts: () => HOSTS,
    check_in: () => CHECKED_IN,
    check_out: () => null,
    override_login: () => ({ expires_at: '2025-01-01T10:00:00Z' }),
    override_visits: () => VISITS,
    override_expected: () => EXPECTED,
    override_check_in_invited: () => null,
    override_check_out: () => null,
    override_check_in: () => CHECKED_IN,
    override_correct: () => null,
    override_exit: () => null,
    override_photo: () => '/9j/4AAQ',
    print_badge: () => 'printed',
    override_print_badge: () => 'printed',
    override_start_evacuation: () => EVACUATION_STARTED,
    offline_status: () => ({ ...OFFLINE_STATUS }),
    quit: () => null,
    enroll: () => ({ ...STATUS }),
    lookup_invite: () => ({ visitor_first_name: 'Ada', host_name: 'Harriet Host' }),
    redeem_invite: () => ({ ...CHECKED_IN, visitor_first_name: 'Ada', host_name: 'Harriet Host' }),
    lookup_pass: () => ({ visitor_first_name: 'Pat', host_name: null }),
    redeem_pass: () => ({ ...CHECKED_IN, visitor_first_name: 'Pat' }),
    ...overrides,
  };
  const invoke: InvokeFn = async (cmd, args) => {
    calls.push({ cmd, args: args === undefined ? undefined : structuredClone(args) });
    const h = handlers[cmd];
    if (!h) throw { kind: 'internal', message: `no such command ${cmd}` };
    return h(args);
  };
  const names = () => calls.map((c) => c.cmd);
  const of = (cmd: string) => calls.filter((c) => c.cmd === cmd);
  return { invoke, calls, handlers, names, of };
}

export function reject(kind: string, fields?: Record<string, string>) {
  return () => Promise.reject(fields ? { kind, message: 'x', fields } : { kind, message: 'x' });
}

export async function started(f: ReturnType<typeof fake>, opts: Partial<MachineOptions> = {}) {
  const m = new KioskMachine({ invoke: f.invoke, timers: realTimers, ...opts });
  await m.init();
  return m;
}

/** A command that answers only when told to: its handler, and how to answer or fail it. */
export function slow() {
  let answer!: (v: unknown) => void;
  let fail!: (e: unknown) => void;
  const handler: Handler = () =>
    new Promise((resolve, reject) => {
      answer = resolve;
      fail = reject;
    });
  return { handler, answer: (v: unknown) => answer(v), fail: (e: unknown) => fail(e) };
}
