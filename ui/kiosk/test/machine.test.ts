import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KioskMachine } from '../src/lib/machine';
import { CHECKED_IN, EXPECTED, HOSTS, STATUS, VISITS, fake, reject, started } from './fake';

function fillDetails(m: KioskMachine) {
  m.s.form.name = '  Ada Lovelace ';
  m.s.form.email = 'ada@example.com';
  m.s.form.company = '';
  m.s.form.phone = '+44 20 7946 0000';
}

/** Walks a started machine from welcome to the consent screen, host h-1 picked. */
async function toConsent(m: KioskMachine) {
  await m.startCheckIn();
  fillDetails(m);
  m.detailsNext();
  m.setHostQuery('ali');
  await vi.advanceTimersByTimeAsync(200);
  m.pickHost(m.s.hosts[0]);
  m.s.form.purpose = 'Meeting';
  m.purposeNext();
  m.s.form.consent = true;
}

const EXPECTED_CHECK_IN = {
  args: {
    visitor: { name: 'Ada Lovelace', email: 'ada@example.com', company: null, phone: '+44 20 7946 0000' },
    host_id: 'h-1',
    purpose: 'Meeting',
    want_pass: false,
    visitor_type_id: null,
    answers: [],
    agreements: [],
    signature: null,
    photo: null,
    email_agreements: false,
  },
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('startup', () => {
  it('shows welcome when enrolled, setup when not', async () => {
    const m = await started(fake());
    expect(m.s.screen).toBe('welcome');
    const m2 = await started(fake({}, { enrolled: false }));
    expect(m2.s.screen).toBe('setup');
  });

  it('stops on a keychain error, with no way out and no timer', async () => {
    const f = fake({ kiosk_status: reject('keychain') });
    const m = await started(f);
    expect(m.s.screen).toBe('error');
    expect(m.s.error).toEqual({ kind: 'keychain', canRetry: false });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(m.s.screen).toBe('error');
    await m.errorHome();
    expect(m.s.screen).toBe('error');
  });

  it('enrolls with the exact arguments', async () => {
    const f = fake({}, { enrolled: false });
    const m = await started(f);
    m.s.setup.urls = ' https://a.example:8443 \n\nhttps://b.example\n';
    m.s.setup.pins = `sha256/${'A'.repeat(43)}=`;
    m.s.setup.code = 'abcd-efgh-jkmn-pqrs';
    await m.enroll();
    expect(f.of('enroll')).toEqual([
      {
        cmd: 'enroll',
        args: {
          args: {
            server_urls: ['https://a.example:8443', 'https://b.example'],
            pins: [`sha256/${'A'.repeat(43)}=`],
            enrollment_code: 'ABCDEFGHJKMNPQRS',
          },
        },
      },
    ]);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.setup).toEqual({ urls: '', pins: '', code: '' });
  });

  it('shows setup errors inline and does not call enroll', async () => {
    const f = fake({}, { enrolled: false });
    const m = await started(f);
    m.s.setup.urls = 'http://insecure.example';
    await m.enroll();
    expect(m.s.errors).toEqual({ urls: 'field.urls_invalid', pins: 'field.required', code: 'field.required' });
    expect(f.of('enroll')).toHaveLength(0);
  });
});

describe('self check-in', () => {
  it('walks the happy path with the exact commands and arguments', async () => {
    const f = fake();
    const m = await started(f);
    expect(f.names()).toEqual(['kiosk_status']);
    expect(f.calls[0].args).toBeUndefined();

    await m.startCheckIn();
    expect(m.s.screen).toBe('details');
    m.detailsNext();
    expect(m.s.errors).toEqual({ name: 'field.required', email: 'field.required' });
    expect(m.s.screen).toBe('details');
    fillDetails(m);
    m.detailsNext();
    expect(m.s.errors).toEqual({});
    expect(m.s.screen).toBe('host');

    // Debounced search: only the last text is sent, 200 ms after typing stops.
    m.setHostQuery('a');
    await vi.advanceTimersByTimeAsync(100);
    m.setHostQuery('al');
    await vi.advanceTimersByTimeAsync(100);
    m.setHostQuery('ali');
    await vi.advanceTimersByTimeAsync(199);
    expect(f.of('search_hosts')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.of('search_hosts')).toEqual([{ cmd: 'search_hosts', args: { args: { q: 'ali' } } }]);
    expect(m.s.hosts).toEqual(HOSTS);

    m.pickHost(m.s.hosts[0]);
    expect(m.s.screen).toBe('purpose');
    m.s.form.purpose = '  Meeting ';
    m.purposeNext();
    expect(m.s.screen).toBe('consent');
    expect(m.consentText).toBeNull(); // the UI shows the dictionary default

    await m.submitCheckIn();
    expect(m.s.errors).toEqual({ consent: 'field.consent_required' });
    expect(f.of('check_in')).toHaveLength(0);

    m.s.form.consent = true;
    await m.submitCheckIn();
    expect(f.of('check_in')).toEqual([{ cmd: 'check_in', args: EXPECTED_CHECK_IN }]);
    expect(m.s.screen).toBe('confirmation');
    expect(m.s.confirmation).toEqual({ name: 'Ada Lovelace', badgeCode: 'ABCD2345', visitId: 'v-1', hostNotification: 'queued', print: 'printed' });
    expect(m.confirmationNotice).toBe('confirm.notifying');
    expect(m.s.form.email).toBe('');

    await m.confirmationDone();
    expect(m.s.screen).toBe('welcome');
    expect(m.s.confirmation).toBeNull();
    expect(m.confirmationNotice).toBeNull();
    expect(f.names()).toEqual(['kiosk_status', 'kiosk_status', 'visitor_types', 'search_hosts', 'check_in', 'print_badge', 'wipe']);
    expect(f.of('wipe')[0].args).toBeUndefined();
  });

  it('asks the visitor to tell reception when the server notifies nobody', async () => {
    const f = fake({ check_in: () => ({ ...CHECKED_IN, host_notification: 'none' }) });
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.screen).toBe('confirmation');
    expect(m.s.confirmation?.hostNotification).toBe('none');
    expect(m.confirmationNotice).toBe('confirm.tell_reception');
  });

  it('returns from the confirmation by itself after 15 s, wiping', async () => {
    const f = fake();
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.screen).toBe('confirmation');
    await vi.advanceTimersByTimeAsync(14_900);
    expect(m.s.screen).toBe('confirmation');
    await vi.advanceTimersByTimeAsync(200);
    expect(m.s.screen).toBe('welcome');
    expect(f.of('wipe')).toHaveLength(1);
  });

  it("uses the tenant's consent text in the visitor's language, and starts in the tenant's language", async () => {
    const texts = { en: 'We keep your data 30 days.', fr: 'Nous gardons vos données 30 jours.' };
    const m = await started(fake({}, { language: 'fr', consent_text: texts }));
    expect(m.s.lang).toBe('fr');
    expect(m.consentText).toBe(texts.fr);
    m.setLang('en');
    expect(m.consentText).toBe(texts.en);
    await m.wipe(true);
    expect(m.s.lang).toBe('fr');
    const only = await started(fake({}, { consent_text: { fr: texts.fr } }));
    expect(only.consentText).toBeNull(); // English: the dictionary default
  });

  it('picks up new settings when a visitor starts, without changing their language', async () => {
    let status = { ...STATUS };
    const f = fake({ kiosk_status: () => status });
    const m = await started(f);
    status = { ...STATUS, language: 'fr', consent_text: { en: 'New rules.' } };
    await m.startCheckIn();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.consentText).toBe('New rules.');
    expect(m.s.lang).toBe('en');
    await m.wipe(true);
    expect(m.s.lang).toBe('fr');
  });

  it('does not search for blank text', async () => {
    const f = fake();
    const m = await started(f);
    await m.startCheckIn();
    m.setHostQuery('   ');
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.of('search_hosts')).toHaveLength(0);
  });
});

describe('invited visitor', () => {
  it('greets by first name before the agreement, then checks in with the normalised code', async () => {
    const f = fake();
    const m = await started(f);
    m.startInvite();
    expect(m.s.screen).toBe('invite');
    m.setInviteCode('abcde fghjk');
    await m.submitInviteCode();
    expect(f.of('lookup_invite')[0].args).toEqual({ args: { code: 'ABCDEFGHJK' } });
    expect(m.s.screen).toBe('consent');
    expect(m.s.invite?.greeting).toEqual({ visitor_first_name: 'Ada', host_name: 'Harriet Host' });
    await m.submitCheckIn();
    expect(m.s.errors.consent).toBe('field.consent_required');
    m.s.form.consent = true;
    await m.submitCheckIn();
    expect(f.of('redeem_invite')[0].args).toEqual({ args: { code: 'ABCDEFGHJK' } });
    expect(f.of('check_in')).toHaveLength(0);
    expect(m.s.screen).toBe('confirmation');
    expect(m.s.confirmation).toMatchObject({ name: 'Ada', hostName: 'Harriet Host', badgeCode: 'ABCD2345' });
    expect(m.s.invite).toBeNull();
  });

  it('says a code does not work without calling for a malformed one', async () => {
    const f = fake({ lookup_invite: reject('not_found') });
    const m = await started(f);
    m.startInvite();
    m.setInviteCode('ABC');
    await m.submitInviteCode();
    expect(m.s.errors['invite-code']).toBe('field.invite_invalid');
    expect(f.of('lookup_invite')).toHaveLength(0);
    m.setInviteCode('ABCDE-FGHJK');
    await m.submitInviteCode();
    expect(m.s.screen).toBe('invite');
    expect(m.s.errors['invite-code']).toBe('field.invite_unknown');
  });

  it('shows the wait when codes were guessed, and goes back to welcome, wiping', async () => {
    const f = fake({ lookup_invite: reject('locked') });
    const m = await started(f);
    m.startInvite();
    m.setInviteCode('ABCDEFGHJK');
    await m.submitInviteCode();
    expect(m.s.formError).toBe('form.locked');
    await m.back();
    expect(m.s.screen).toBe('welcome');
    expect(m.s.invite).toBeNull();
    expect(f.names()).toContain('wipe');
  });
});

describe('host search', () => {
  it('asks the server only once the query has the tenant\'s minimum length', async () => {
    const f = fake({}, { directory_min_chars: 3 });
    const m = await started(f);
    await m.startCheckIn();
    fillDetails(m);
    m.detailsNext();
    expect(m.minQuery).toBe(3);
    m.setHostQuery('al');
    await vi.advanceTimersByTimeAsync(500);
    expect(f.of('search_hosts')).toHaveLength(0);
    expect(m.s.hostSearching).toBe(false);
    m.setHostQuery('ali');
    await vi.advanceTimersByTimeAsync(500);
    expect(f.of('search_hosts')).toEqual([{ cmd: 'search_hosts', args: { args: { q: 'ali' } } }]);
  });
});

describe('returning visitor with a pass', () => {
  const PASS = 'abcd efgh jkmn pqrs';

  it('asks whom they visit, then the agreement, and checks in with the code and that host', async () => {
    const f = fake();
    const m = await started(f);
    m.startInvite();
    m.setInviteCode(PASS);
    await m.submitInviteCode();
    expect(f.of('lookup_pass')[0].args).toEqual({ args: { code: 'ABCDEFGHJKMNPQRS' } });
    expect(f.of('lookup_invite')).toHaveLength(0);
    expect(m.s.screen).toBe('host');
    m.setHostQuery('ali');
    await vi.advanceTimersByTimeAsync(200);
    m.pickHost(m.s.hosts[0]);
    expect(m.s.screen).toBe('consent');
    await m.back();
    expect(m.s.screen).toBe('host');
    m.pickHost(m.s.hosts[0]);
    m.s.form.consent = true;
    await m.submitCheckIn();
    expect(f.of('redeem_pass')[0].args).toEqual({ args: { code: 'ABCDEFGHJKMNPQRS', host_id: 'h-1' } });
    expect(f.of('check_in')).toHaveLength(0);
    expect(m.s.confirmation).toMatchObject({ name: 'Pat', hostName: 'Alice Martin' });
    expect(m.s.invite).toBeNull();
    expect(m.s.host).toBeNull();
  });

  it('goes straight to the agreement when invited today, the invitation naming the host', async () => {
    const f = fake({ lookup_pass: () => ({ visitor_first_name: 'Pat', host_name: 'Harriet Host' }) });
    const m = await started(f);
    m.startInvite();
    m.setInviteCode(PASS);
    await m.submitInviteCode();
    expect(m.s.screen).toBe('consent');
    m.s.form.consent = true;
    await m.submitCheckIn();
    expect(f.of('redeem_pass')[0].args).toEqual({ args: { code: 'ABCDEFGHJKMNPQRS', host_id: null } });
    expect(m.s.confirmation).toMatchObject({ name: 'Pat', hostName: 'Harriet Host' });
  });

  it('asks for a pass only when the tenant offers one', async () => {
    for (const passes of [false, true]) {
      const f = fake({}, { passes });
      const m = await started(f);
      await toConsent(m);
      m.s.form.wantPass = true;
      await m.submitCheckIn();
      expect((f.of('check_in')[0].args as { args: { want_pass: boolean } }).args.want_pass).toBe(passes);
    }
  });
});

describe('idle', () => {
  it('wipes the form, calls wipe and returns to welcome after idle_secs without activity', async () => {
    const f = fake();
    const m = await started(f);
    m.setLang('fr');
    await m.startCheckIn();
    fillDetails(m);
    await vi.advanceTimersByTimeAsync(50_000);
    m.activity(); // a touch restarts the countdown
    await vi.advanceTimersByTimeAsync(59_000);
    expect(m.s.screen).toBe('details');
    expect(f.of('wipe')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.form).toEqual({ name: '', email: '', company: '', phone: '', purpose: '', consent: false, wantPass: false });
    expect(f.of('wipe')).toEqual([{ cmd: 'wipe', args: undefined }]);
    expect(m.s.lang).toBe('en');
  });

  it('reads the timeout from kiosk_status', async () => {
    const f = fake({}, { idle_secs: 2 });
    const m = await started(f);
    await m.startCheckIn();
    fillDetails(m);
    m.detailsNext();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.form.name).toBe('');
    expect(f.of('wipe')).toHaveLength(1);
  });

  it('has no idle timer on the welcome screen', async () => {
    const f = fake({}, { idle_secs: 1 });
    await started(f);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(f.of('wipe')).toHaveLength(0);
  });

  it('drops a late check-in answer that arrives after an idle wipe', async () => {
    let resolve!: (v: unknown) => void;
    const f = fake({ check_in: () => new Promise((r) => (resolve = r)) }, { idle_secs: 5 });
    const m = await started(f);
    await toConsent(m);
    void m.submitCheckIn();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(m.s.screen).toBe('welcome');
    resolve(CHECKED_IN);
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.confirmation).toBeNull();
  });
});

describe('errors', () => {
  it('keeps the typed data on unreachable, and retry re-sends check_in with identical arguments', async () => {
    let n = 0;
    const f = fake({ check_in: () => (n++ === 0 ? Promise.reject({ kind: 'unreachable', message: 'down' }) : CHECKED_IN) });
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.screen).toBe('error');
    expect(m.s.error).toEqual({ kind: 'unreachable', canRetry: true });
    expect(m.s.form.name).toBe('  Ada Lovelace ');
    expect(m.s.form.email).toBe('ada@example.com');
    expect(m.s.host?.id).toBe('h-1');
    expect(f.of('wipe')).toHaveLength(0);

    await m.retry();
    const sent = f.of('check_in');
    expect(sent).toHaveLength(2);
    expect(sent[0].args).toEqual(EXPECTED_CHECK_IN);
    expect(sent[1].args).toEqual(sent[0].args);
    expect(m.s.screen).toBe('confirmation');
    expect(m.s.error).toBeNull();
  });

  it('wipes when the visitor gives up on the unreachable screen', async () => {
    const f = fake({ check_in: reject('unreachable') });
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    await m.errorHome();
    expect(m.s.screen).toBe('welcome');
    expect(m.s.form.name).toBe('');
    expect(f.of('wipe')).toHaveLength(1);
  });

  it('maps a server validation error onto the inline field errors', async () => {
    const f = fake({ check_in: reject('validation', { 'visitor.email': 'must be an email address' }) });
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.screen).toBe('details');
    expect(m.s.errors).toEqual({ email: 'field.server_rejected' });
    expect(m.s.form.email).toBe('ada@example.com');
  });

  it('sends the visitor back to the right screen for a purpose or host field', async () => {
    const f = fake({ check_in: reject('validation', { purpose: 'too long', host_id: 'unknown' }) });
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.screen).toBe('host');
    expect(m.s.errors).toEqual({ purpose: 'field.server_rejected', host: 'field.server_rejected' });
  });

  it('goes back to setup when the kiosk was revoked', async () => {
    const f = fake({ check_in: reject('revoked') });
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.screen).toBe('setup');
    expect(m.s.notice).toBe('setup.revoked');
    expect(m.s.status?.enrolled).toBe(false);
    expect(m.s.form.name).toBe('');
    expect(f.of('wipe')).toHaveLength(1);
  });

  it('shows pin_mismatch without a retry', async () => {
    const f = fake({ check_in: reject('pin_mismatch') });
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.error).toEqual({ kind: 'pin_mismatch', canRetry: false });
    await m.retry();
    expect(f.of('check_in')).toHaveLength(1);
  });

  it('treats an unknown rejection as internal', async () => {
    const f = fake({ check_in: () => Promise.reject('boom') });
    const m = await started(f);
    await toConsent(m);
    await m.submitCheckIn();
    expect(m.s.error?.kind).toBe('internal');
  });
});

describe('check-out', () => {
  it('normalises the code and checks out', async () => {
    const f = fake();
    const m = await started(f);
    m.startCheckOut();
    m.setCheckoutCode('abcd 2345');
    expect(m.s.checkout.code).toBe('ABCD2345');
    await m.submitCheckOut();
    expect(f.of('check_out')).toEqual([{ cmd: 'check_out', args: { args: { badge_code: 'ABCD2345' } } }]);
    expect(m.s.screen).toBe('checkout');
    expect(m.s.checkout.done).toBe(true);
    await vi.advanceTimersByTimeAsync(6_000);
    expect(m.s.screen).toBe('welcome');
  });

  it('shows an unknown badge inline', async () => {
    const f = fake({ check_out: reject('not_found') });
    const m = await started(f);
    m.startCheckOut();
    m.setCheckoutCode('ABCD2345');
    await m.submitCheckOut();
    expect(m.s.errors).toEqual({ 'checkout-code': 'form.not_found_badge' });
  });

  it('validates before calling', async () => {
    const f = fake();
    const m = await started(f);
    m.startCheckOut();
    m.setCheckoutCode('ABC');
    await m.submitCheckOut();
    expect(m.s.errors).toEqual({ 'checkout-code': 'field.badge_invalid' });
    expect(f.of('check_out')).toHaveLength(0);
  });
});

describe('override', () => {
  async function loggedIn(f: ReturnType<typeof fake>) {
    const m = await started(f);
    m.startOverrideLogin();
    m.s.login.email = 'receptionist@example.com';
    m.s.login.pin = '123456';
    await m.overrideLogin();
    return m;
  }

  it('logs in, lists the visits and forgets the PIN', async () => {
    const f = fake();
    const m = await loggedIn(f);
    expect(f.of('override_login')).toEqual([{ cmd: 'override_login', args: { args: { email: 'receptionist@example.com', pin: '123456' } } }]);
    expect(f.of('override_visits')).toEqual([{ cmd: 'override_visits', args: undefined }]);
    expect(m.s.screen).toBe('override-list');
    expect(m.s.visits).toEqual(VISITS);
    expect(m.s.expected).toEqual(EXPECTED);
    expect(m.s.login).toEqual({ email: '', pin: '' });
  });

  it('checks in an expected visitor who has arrived and reloads both lists', async () => {
    const f = fake();
    const m = await loggedIn(f);
    await m.overrideCheckInInvited('i-1');
    expect(f.of('override_check_in_invited')).toEqual([{ cmd: 'override_check_in_invited', args: { args: { invite_id: 'i-1' } } }]);
    expect(f.of('override_expected')).toHaveLength(2);
    expect(f.of('override_visits')).toHaveLength(2);
    expect(m.s.screen).toBe('override-list');
  });

  it('says so when the invitation was already used', async () => {
    const f = fake({ override_check_in_invited: reject('conflict') });
    const m = await loggedIn(f);
    await m.overrideCheckInInvited('i-1');
    expect(m.s.formError).toBe('form.conflict');
    expect(m.s.screen).toBe('override-list');
  });

  it('rejects a bad PIN inline and clears it', async () => {
    const f = fake({ override_login: reject('not_found') });
    const m = await loggedIn(f);
    expect(m.s.screen).toBe('override-login');
    expect(m.s.formError).toBe('form.bad_login');
    expect(m.s.login.pin).toBe('');
  });

  it('exits after override_idle_secs idle, calling override_exit', async () => {
    const f = fake();
    const m = await loggedIn(f);
    await vi.advanceTimersByTimeAsync(119_000);
    expect(m.s.screen).toBe('override-list');
    m.activity();
    await vi.advanceTimersByTimeAsync(119_000);
    expect(f.of('override_exit')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(f.of('override_exit')).toEqual([{ cmd: 'override_exit', args: undefined }]);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.override).toBeNull();
    expect(m.s.visits).toEqual([]);
    expect(m.s.expected).toEqual([]);
  });

  it('exits on the Exit button', async () => {
    const f = fake();
    const m = await loggedIn(f);
    await m.overrideExit();
    expect(f.of('override_exit')).toHaveLength(1);
    expect(m.s.screen).toBe('welcome');
  });

  it('exits when the server says the override expired', async () => {
    const f = fake({ override_check_out: reject('override_expired') });
    const m = await loggedIn(f);
    await m.overrideCheckOut('v-1');
    await vi.advanceTimersByTimeAsync(0);
    expect(f.of('override_exit')).toHaveLength(1);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.notice).toBe('welcome.override_ended');
  });

  it('opens a visitor photo in memory, closes it, and forgets it on exit', async () => {
    const f = fake({ override_photo: (args) => ((args as { args: { visit_id: string } }).args.visit_id === 'v-1' ? '/9j/4AAQ' : null) });
    const m = await loggedIn(f);
    await m.showPhoto('v-1');
    expect(f.of('override_photo')).toEqual([{ cmd: 'override_photo', args: { args: { visit_id: 'v-1' } } }]);
    expect(m.s.photo).toEqual({ visitId: 'v-1', jpeg: '/9j/4AAQ' });
    await m.showPhoto('v-1');
    expect(m.s.photo).toBeNull();
    await m.showPhoto('v-2');
    expect(m.s.photo).toEqual({ visitId: 'v-2', jpeg: null });
    await m.overrideExit();
    expect(m.s.photo).toBeNull();
  });

  it('checks a visit out and reloads the list', async () => {
    const f = fake();
    const m = await loggedIn(f);
    await m.overrideCheckOut('v-1');
    expect(f.of('override_check_out')).toEqual([{ cmd: 'override_check_out', args: { args: { visit_id: 'v-1' } } }]);
    expect(f.of('override_visits')).toHaveLength(2);
  });

  it('checks a visitor in through override_check_in and returns to the list', async () => {
    const f = fake();
    const m = await loggedIn(f);
    m.startOverrideCheckIn();
    expect(m.s.screen).toBe('details');
    fillDetails(m);
    m.detailsNext();
    m.setHostQuery('ali');
    await vi.advanceTimersByTimeAsync(200);
    m.pickHost(m.s.hosts[0]);
    m.s.form.purpose = 'Meeting';
    m.purposeNext();
    m.s.form.consent = true;
    await m.submitCheckIn();
    expect(f.of('check_in')).toHaveLength(0);
    expect(f.of('override_check_in')).toEqual([{ cmd: 'override_check_in', args: EXPECTED_CHECK_IN }]);
    expect(m.s.screen).toBe('confirmation');
    expect(m.confirmationNotice).toBe('confirm.notifying');
    await m.confirmationDone();
    expect(m.s.screen).toBe('override-list');
    expect(f.of('wipe')).toHaveLength(1);
    expect(m.s.override).not.toBeNull();
  });

  it('corrects a record, sending null for what did not change', async () => {
    const f = fake();
    const m = await loggedIn(f);
    m.startCorrect(m.s.visits[0]);
    expect(m.s.screen).toBe('override-correct');
    m.s.correct!.name = 'Ada King';
    await m.saveCorrect();
    expect(f.of('override_correct')).toEqual([
      { cmd: 'override_correct', args: { args: { visit_id: 'v-1', visitor_name: 'Ada King', visitor_company: null, purpose: null } } },
    ]);
    expect(m.s.screen).toBe('override-list');
  });

  it('uses the visitor idle timeout (not the override one) on the login screen', async () => {
    const f = fake();
    const m = await started(f);
    m.startOverrideLogin();
    m.s.login.email = 'receptionist@example.com';
    await vi.advanceTimersByTimeAsync(60_000);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.login.email).toBe('');
  });
});
