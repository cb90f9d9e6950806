// Check-ins while the server cannot be reached, driven through the machine against a fake Tauri
// side: a walk-in's check-in sealed by the Rust side is confirmed with its provisional code,
// nothing printed, the form emptied in place; too many waiting sends the visitor to reception; an
// invitation or a pass out of reach offers the walk-in; the offline status is asked while a
// screen shows it; the receptionist's list stays up offline; quitting is confirmed when
// check-ins wait; a refused close shows its dialog. And the words.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CheckInArgs } from '../src/lib/commands';
import { dictionaries, LANGS, translate } from '../src/lib/i18n';
import { emptyForm, emptyTyped, type KioskMachine } from '../src/lib/machine';
import { quitRefusedText, quitWarning, waitingBanner, waitingLine } from '../src/lib/offline';
import { CHECKED_IN, OFFLINE_STATUS, fake, reject, slow, started } from './fake';

const OFFLINE = {
  visit_id: '00000000-0000-0000-0000-000000000000',
  status: 'on_site',
  badge_code: 'ZQ722345',
  checked_in_at: '2025-01-01T09:00:00.000Z',
  host_notification: 'queued',
  offline: true,
};

const WAITING = {
  ...OFFLINE_STATUS,
  waiting: 2,
  reachable: false,
  visitors: [
    { first_name: 'Ada', checked_in_at: '2025-01-01T09:00:00Z' },
    { first_name: 'Grace', checked_in_at: '2025-01-01T09:05:00Z' },
  ],
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Walks a started machine from welcome to the consent screen, details typed, host h-1 picked. */
async function toConsent(m: KioskMachine) {
  await m.startCheckIn();
  m.s.form.name = 'Ada Lovelace';
  m.s.form.email = 'ada@example.com';
  m.s.form.company = 'Analytical Engines';
  m.s.form.phone = '+44 20 7946 0000';
  m.detailsNext();
  m.setHostQuery('ali');
  await vi.advanceTimersByTimeAsync(200);
  m.pickHost(m.s.hosts[0]);
  m.s.form.purpose = 'Meeting';
  m.purposeNext();
  m.s.form.consent = true;
}

async function login(m: KioskMachine) {
  m.startOverrideLogin();
  m.s.login.email = 'receptionist@example.com';
  m.s.login.pin = '123456';
  await m.overrideLogin();
}

/** The check-in awaiting an answer (internal to the machine: read here to see it blanked). */
function pendingOf(m: KioskMachine): { req: CheckInArgs } | null {
  return (m as unknown as { pendingCheckIn: { req: CheckInArgs } | null }).pendingCheckIn;
}

describe('a walk-in checked in offline', () => {
  it('shows the provisional code, prints nothing, and promises the host only through its own notice', async () => {
    const f = fake({ check_in: () => OFFLINE });
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.screen).toBe('confirmation');
    expect(m.s.confirmation).toMatchObject({ name: 'Ada Lovelace', badgeCode: 'ZQ722345', offline: true, print: null });
    expect(m.confirmationNotice).toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.of('print_badge')).toHaveLength(0);
    expect(f.of('override_print_badge')).toHaveLength(0);
  });

  it('an online check-in is still printed and has no offline mark', async () => {
    const f = fake();
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.confirmation?.offline).toBeUndefined();
    expect(m.confirmationNotice).toBe('confirm.notifying');
    expect(f.of('print_badge')).toHaveLength(1);
  });

  for (const [label, answer] of [
    ['offline', OFFLINE],
    ['online', CHECKED_IN],
  ] as const) {
    it(`empties the form in place once checked in (${label}), keeping no copy of it`, async () => {
      const f = fake({ check_in: () => answer });
      const m = await started(f);
      const form = m.s.form;
      const typed = m.s.typed;
      await toConsent(m);
      await m.submitCheckIn();
      expect(m.s.form).toBe(form);
      expect(form).toEqual(emptyForm());
      expect(m.s.typed).toBe(typed);
      expect(typed).toEqual(emptyTyped());
      expect(pendingOf(m)).toBeNull();
    });
  }

  it('empties the form in place on the idle wipe, and blanks the pending check-in kept for a retry', async () => {
    const f = fake({ check_in: reject('unreachable') });
    const m = await started(f);
    const form = m.s.form;
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.screen).toBe('error');
    const pending = pendingOf(m);
    expect(pending?.req.visitor.email).toBe('ada@example.com');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.form).toBe(form);
    expect(form).toEqual(emptyForm());
    expect(pendingOf(m)).toBeNull();
    expect(pending?.req.visitor).toEqual({ name: '', email: '', company: null, phone: null });
    expect(pending?.req.purpose).toBeNull();
  });

  it('empties the form in place when a half-filled form idles out', async () => {
    const m = await started(fake());
    await m.startCheckIn();
    const form = m.s.form;
    form.name = 'Half Typed';
    form.email = 'half@example.com';
    form.phone = '+33 1 23 45 67 89';
    form.company = 'Halfway';
    await vi.advanceTimersByTimeAsync(60_000);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.form).toBe(form);
    expect(form).toEqual(emptyForm());
  });
});

describe('too many check-ins waiting (offline_full)', () => {
  it('sends the visitor to reception, drops what they typed, prints nothing, then back to welcome', async () => {
    const f = fake({ check_in: reject('offline_full') });
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.screen).toBe('waiting');
    expect(m.s.waiting).toEqual({ visitId: '', name: '', hostNotification: 'none', outcome: 'reception' });
    expect(m.s.error).toBeNull();
    expect(m.s.form).toEqual(emptyForm());
    expect(m.s.host).toBeNull();
    expect(pendingOf(m)).toBeNull();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(m.s.screen).toBe('welcome');
    expect(f.of('visit_state')).toHaveLength(0);
    expect(f.of('print_badge')).toHaveLength(0);
    expect(f.of('wipe')).toHaveLength(1);
  });

  it('does the same in a visitor type\u2019s flow', async () => {
    const type = {
      id: 't-1',
      names: { en: 'Visitor' },
      icon: 'visitor',
      fields: { company: 'off', phone: 'off', purpose: 'off' },
      questions: [],
      agreements: [],
      photo: false,
      host_required: true,
      approval: false,
    };
    const f = fake({ visitor_types: () => [type], check_in: reject('offline_full') });
    const m = await started(f);
    await m.startCheckIn();
    m.s.form.name = 'Ada Lovelace';
    m.s.form.email = 'ada@example.com';
    m.detailsNext();
    m.setHostQuery('ali');
    await vi.advanceTimersByTimeAsync(200);
    m.pickHost(m.s.hosts[0]);
    m.s.form.consent = true;
    await m.submitCheckIn();
    expect(f.of('check_in')).toHaveLength(1);
    expect(m.s.screen).toBe('waiting');
    expect(m.s.waiting?.outcome).toBe('reception');
    expect(m.s.form).toEqual(emptyForm());
    expect(m.s.visitorType).toBeNull();
  });
});

describe('an invitation or a pass while the server is out of reach', () => {
  it('says so on the code screen instead of the error screen, and offers the walk-in', async () => {
    const f = fake({ lookup_invite: reject('unreachable') });
    const m = await started(f);
    m.startInvite();
    m.setInviteCode('ABCDEFGHJK');
    await m.submitInviteCode();
    expect(m.s.screen).toBe('invite');
    expect(m.s.error).toBeNull();
    expect(m.s.invite?.offline).toBe(true);
    expect(m.s.invite?.greeting).toBeNull();

    await m.walkInInstead();
    expect(m.s.screen).toBe('details');
    expect(m.s.invite).toBeNull();
    expect(f.of('visitor_types')).toHaveLength(1);
  });

  it('a pass too, and the notice goes once the code can be checked again', async () => {
    let down = true;
    const f = fake({
      lookup_pass: () => (down ? Promise.reject({ kind: 'unreachable', message: 'x' }) : { visitor_first_name: 'Pat', host_name: null }),
    });
    const m = await started(f);
    m.startInvite();
    m.setInviteCode('ABCD-EFGH-JKMN-PQRS');
    await m.submitInviteCode();
    expect(m.s.screen).toBe('invite');
    expect(m.s.invite?.offline).toBe(true);
    down = false;
    await m.submitInviteCode();
    expect(m.s.screen).toBe('host');
    expect(m.s.invite?.offline).toBeUndefined();
  });

  it('an invitation that cannot be redeemed goes back to the code screen with the same offer', async () => {
    const f = fake({ redeem_invite: reject('unreachable') });
    const m = await started(f);
    m.startInvite();
    m.setInviteCode('ABCDEFGHJK');
    await m.submitInviteCode();
    expect(m.s.screen).toBe('consent');
    m.s.form.consent = true;
    await m.submitCheckIn();
    expect(m.s.screen).toBe('invite');
    expect(m.s.error).toBeNull();
    expect(m.s.invite?.offline).toBe(true);
    await m.walkInInstead();
    expect(m.s.screen).toBe('details');
  });

  it('other failures are said as before', async () => {
    const m = await started(fake({ lookup_invite: reject('not_found') }));
    m.startInvite();
    m.setInviteCode('ABCDEFGHJK');
    await m.submitInviteCode();
    expect(m.s.errors['invite-code']).toBe('field.invite_unknown');
    expect(m.s.invite?.offline).toBe(false);
    const m2 = await started(fake({ lookup_invite: reject('internal') }));
    m2.startInvite();
    m2.setInviteCode('ABCDEFGHJK');
    await m2.submitInviteCode();
    expect(m2.s.screen).toBe('error');
  });
});

describe('the offline status', () => {
  it('is asked now and every 3 s while a screen shows it, and no more once it goes', async () => {
    const f = fake({ offline_status: () => ({ ...OFFLINE_STATUS, waiting: 3, reachable: false }) });
    const m = await started(f);
    const stop = m.watchOffline();
    await vi.advanceTimersByTimeAsync(0);
    expect(f.of('offline_status')).toHaveLength(1);
    expect(m.s.offline).toEqual({ ...OFFLINE_STATUS, waiting: 3, reachable: false });
    await vi.advanceTimersByTimeAsync(2999);
    expect(f.of('offline_status')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.of('offline_status')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(6000);
    expect(f.of('offline_status')).toHaveLength(4);
    stop();
    stop();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(f.of('offline_status')).toHaveLength(4);
  });

  it('runs one loop for screens that overlap, and keeps the last answer through a failure', async () => {
    let fail = false;
    const f = fake({ offline_status: () => (fail ? Promise.reject({ kind: 'internal', message: 'x' }) : { ...OFFLINE_STATUS, waiting: 1 }) });
    const m = await started(f);
    const a = m.watchOffline();
    const b = m.watchOffline();
    a();
    await vi.advanceTimersByTimeAsync(3000);
    expect(f.of('offline_status')).toHaveLength(2);
    fail = true;
    await vi.advanceTimersByTimeAsync(3000);
    expect(f.of('offline_status')).toHaveLength(3);
    expect(m.s.offline?.waiting).toBe(1);
    expect(m.s.screen).toBe('welcome');
    b();
    const c = m.watchOffline();
    await vi.advanceTimersByTimeAsync(0);
    expect(f.of('offline_status')).toHaveLength(4);
    c();
  });

  it('keeps only the latest answer', async () => {
    const first = slow();
    const f = fake({ offline_status: first.handler });
    const m = await started(f);
    const stop = m.watchOffline();
    f.handlers.offline_status = () => ({ ...OFFLINE_STATUS, waiting: 5 });
    await m.refreshOffline();
    first.answer({ ...OFFLINE_STATUS, waiting: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.offline?.waiting).toBe(5);
    stop();
  });

  it('stops with the app', async () => {
    const f = fake();
    const m = await started(f);
    m.watchOffline();
    await vi.advanceTimersByTimeAsync(0);
    m.dispose();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(f.of('offline_status')).toHaveLength(1);
  });
});

describe('the receptionist\u2019s list offline', () => {
  it('stays up when its own server calls fail, saying the list cannot be updated', async () => {
    const f = fake({ override_visits: reject('unreachable'), override_expected: reject('unreachable'), offline_status: () => WAITING });
    const m = await started(f);
    await login(m);
    expect(m.s.screen).toBe('override-list');
    expect(m.s.error).toBeNull();
    expect(m.s.formError).toBe('override.unreachable');
    const stop = m.watchOffline();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.offline?.visitors).toEqual(WAITING.visitors);
    stop();
  });

  it('a check-out out of reach keeps the list too', async () => {
    const f = fake({ override_check_out: reject('unreachable') });
    const m = await started(f);
    await login(m);
    await m.overrideCheckOut('v-1');
    expect(m.s.screen).toBe('override-list');
    expect(m.s.formError).toBe('override.unreachable');
    expect(f.of('override_visits')).toHaveLength(1);
  });

  it('forgets who waits when the session ends', async () => {
    const f = fake({ offline_status: () => WAITING });
    const m = await started(f);
    await login(m);
    await m.refreshOffline();
    expect(m.s.offline?.visitors).toHaveLength(2);
    await m.overrideExit();
    expect(m.s.offline).toBeNull();
  });
});

describe('quitting', () => {
  it('quits at once when nothing waits', async () => {
    const f = fake();
    const m = await started(f);
    await login(m);
    await m.askQuit();
    expect(f.of('quit')).toHaveLength(1);
    expect(m.s.quit).toEqual({ state: 'quitting' });
  });

  it('asks first when check-ins wait, saying how many would be lost; cancel sends nothing', async () => {
    const f = fake({ offline_status: () => WAITING });
    const m = await started(f);
    await login(m);
    await m.askQuit();
    expect(m.s.quit).toEqual({ state: 'confirming', waiting: 2 });
    expect(f.of('quit')).toHaveLength(0);
    m.cancelQuit();
    expect(m.s.quit).toBeNull();
    await m.askQuit();
    await m.confirmQuit();
    expect(f.of('quit')).toHaveLength(1);
  });

  it('says a refusal on the list', async () => {
    const f = fake({ quit: reject('validation', { pin: 'x' }) });
    const m = await started(f);
    await login(m);
    await m.askQuit();
    expect(m.s.quit).toEqual({ state: 'failed' });
    expect(m.s.screen).toBe('override-list');
  });

  it('does nothing outside override mode, and a pending confirmation goes when the receptionist moves on', async () => {
    const f = fake({ offline_status: () => WAITING });
    const m = await started(f);
    await m.askQuit();
    await m.confirmQuit();
    expect(m.s.quit).toBeNull();
    await login(m);
    await m.askQuit();
    m.startOverrideCheckIn();
    expect(m.s.quit).toBeNull();
    await m.back();
    await m.askQuit();
    await m.overrideExit();
    expect(m.s.quit).toBeNull();
    expect(f.of('quit')).toHaveLength(0);
  });
});

describe('a refused close', () => {
  it('shows how many wait until OK; a strange payload counts as none', async () => {
    const m = await started(fake());
    m.quitRefused(3);
    expect(m.s.quitRefused).toBe(3);
    m.dismissQuitRefused();
    expect(m.s.quitRefused).toBeNull();
    m.quitRefused('many');
    expect(m.s.quitRefused).toBe(0);
    m.quitRefused(-2);
    expect(m.s.quitRefused).toBe(0);
  });
});

describe('the words', () => {
  it('fit the number', () => {
    expect(waitingBanner(0)).toBeNull();
    expect(waitingBanner(1)).toEqual({ key: 'welcome.offline_one' });
    expect(waitingBanner(5)).toEqual({ key: 'welcome.offline_many', params: { n: 5 } });
    expect(waitingLine(0)).toEqual({ key: 'override.offline_none' });
    expect(waitingLine(1)).toEqual({ key: 'override.offline_one' });
    expect(waitingLine(2)).toEqual({ key: 'override.offline_many', params: { n: 2 } });
    expect(quitWarning(1)).toEqual({ key: 'override.quit_confirm_one' });
    expect(quitWarning(7)).toEqual({ key: 'override.quit_confirm_many', params: { n: 7 } });
    expect(quitRefusedText(1)).toEqual({ key: 'quit_refused.one' });
    expect(quitRefusedText(4)).toEqual({ key: 'quit_refused.many', params: { n: 4 } });
  });

  it('say it plainly in both languages, and the visitor-facing ones name no one', () => {
    expect(translate('en', 'welcome.offline_many', { n: 5 })).toBe(
      '5 check-ins made while the connection was down will be sent as soon as it is back.',
    );
    expect(translate('en', 'override.quit_confirm_many', { n: 3 })).toBe(
      '3 check-ins made offline are still waiting to be sent. If you quit now, they will be lost.',
    );
    expect(translate('fr', 'invite.walk_in')).toBe('M\u2019enregistrer sans invitation');
    for (const lang of LANGS) {
      for (const key of ['welcome.offline_one', 'welcome.offline_many', 'confirm.offline'] as const) {
        expect(dictionaries[lang][key]).not.toMatch(/\{name\}/);
      }
    }
  });
});
