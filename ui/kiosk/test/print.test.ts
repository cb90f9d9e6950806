// Badge printing, driven through the machine against a fake Tauri side: the confirmation shows at
// once and prints in the background (printing → printed / unavailable, no line without a printer),
// a late answer once the visitor is gone is dropped, the check-in never waits nor is undone; the
// receptionist reprints any badge on site, each row saying how it went. And the pure mappings.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCommands } from '../src/lib/commands';
import { dictionaries } from '../src/lib/i18n';
import type { KioskMachine } from '../src/lib/machine';
import { PRINT_MESSAGES, REPRINT_MESSAGES, printState, reprintState } from '../src/lib/print';
import { CHECKED_IN, fake, reject, slow, started } from './fake';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});


/** Walks a started machine through a self check-in, up to the confirmation. */
async function checkIn(m: KioskMachine) {
  await m.startCheckIn();
  m.s.form.name = 'Ada Lovelace';
  m.s.form.email = 'ada@example.com';
  m.detailsNext();
  m.setHostQuery('ali');
  await vi.advanceTimersByTimeAsync(200);
  m.pickHost(m.s.hosts[0]);
  m.purposeNext();
  m.s.form.consent = true;
  await m.submitCheckIn();
}

describe('print outcomes', () => {
  it('map onto the confirmation line: none at all without a printer, unavailable for anything unknown', () => {
    expect(printState('printed')).toBe('printed');
    expect(printState('unavailable')).toBe('unavailable');
    expect(printState('no_printer')).toBeNull();
    expect(printState('jammed')).toBe('unavailable');
    expect(printState(null)).toBe('unavailable');
  });

  it('map onto a reprint row, which says when there is no printer', () => {
    expect(reprintState('printed')).toBe('printed');
    expect(reprintState('unavailable')).toBe('unavailable');
    expect(reprintState('no_printer')).toBe('no_printer');
    expect(reprintState(undefined)).toBe('unavailable');
  });

  it('have their words in both languages', () => {
    expect(dictionaries.en[PRINT_MESSAGES.printing]).toBe('Printing your badge\u2026');
    expect(dictionaries.en[PRINT_MESSAGES.printed]).toBe('Badge printed');
    expect(dictionaries.en[PRINT_MESSAGES.unavailable]).toBe('Printer unavailable \u2014 please see reception');
    expect(dictionaries.en[REPRINT_MESSAGES.printing]).toBe('Printing\u2026');
    expect(dictionaries.en[REPRINT_MESSAGES.printed]).toBe('Printed');
    expect(dictionaries.en[REPRINT_MESSAGES.unavailable]).toBe('Printer unavailable');
    expect(dictionaries.en[REPRINT_MESSAGES.no_printer]).toBe('No printer set up');
    expect(dictionaries.fr[PRINT_MESSAGES.printed]).toBe('Badge imprimé');
    expect(dictionaries.fr[REPRINT_MESSAGES.no_printer]).toBe('Aucune imprimante configurée');
  });

  it('come from print_badge and override_print_badge, each given the visit', async () => {
    const f = fake({ override_print_badge: () => 'no_printer' });
    const cmd = createCommands(f.invoke);
    expect(await cmd.printBadge('v-7')).toBe('printed');
    expect(await cmd.overridePrintBadge('v-8')).toBe('no_printer');
    expect(f.calls).toEqual([
      { cmd: 'print_badge', args: { args: { visit_id: 'v-7' } } },
      { cmd: 'override_print_badge', args: { args: { visit_id: 'v-8' } } },
    ]);
  });
});

describe('the confirmation prints the badge', () => {
  it('shows at once, printing, then printed; nothing else is asked', async () => {
    const p = slow();
    const f = fake({ print_badge: p.handler });
    const m = await started(f);
    await checkIn(m);
    expect(m.s.screen).toBe('confirmation');
    expect(m.s.confirmation).toMatchObject({ badgeCode: 'ABCD2345', visitId: 'v-1', print: 'printing' });
    expect(f.of('print_badge')).toEqual([{ cmd: 'print_badge', args: { args: { visit_id: 'v-1' } } }]);
    p.answer('printed');
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.confirmation?.print).toBe('printed');
    expect(m.s.screen).toBe('confirmation');
    expect(f.names().slice(-2)).toEqual(['check_in', 'print_badge']);
  });

  it('says the printer is unavailable when no printer answered, or the command failed', async () => {
    const m = await started(fake({ print_badge: () => 'unavailable' }));
    await checkIn(m);
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.confirmation?.print).toBe('unavailable');

    for (const kind of ['unreachable', 'internal', 'revoked']) {
      const f = fake({ print_badge: reject(kind) });
      const m2 = await started(f);
      await checkIn(m2);
      await vi.advanceTimersByTimeAsync(0);
      expect(m2.s.screen, kind).toBe('confirmation');
      expect(m2.s.confirmation?.badgeCode, kind).toBe('ABCD2345');
      expect(m2.s.confirmation?.print, kind).toBe('unavailable');
      expect(m2.s.error, kind).toBeNull();
    }
  });

  it('shows no print line when the site has no printer', async () => {
    const m = await started(fake({ print_badge: () => 'no_printer' }));
    await checkIn(m);
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.confirmation?.print).toBeNull();
    expect(m.s.screen).toBe('confirmation');
  });

  it('keeps the 15 s confirmation, and drops the answer of a print still going when it ends', async () => {
    const p = slow();
    const f = fake({ print_badge: p.handler });
    const m = await started(f);
    await checkIn(m);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.confirmation).toBeNull();
    p.answer('printed');
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.confirmation).toBeNull();
  });

  it("never puts the last visitor's print status on the next one's confirmation", async () => {
    const first = slow();
    let n = 0;
    const f = fake({ print_badge: (args) => (n++ === 0 ? first.handler(args) : 'unavailable') });
    const m = await started(f);
    await checkIn(m);
    await m.confirmationDone();
    await checkIn(m);
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.confirmation?.print).toBe('unavailable');
    first.answer('printed');
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.confirmation?.print).toBe('unavailable');
  });

  it('prints the badge of an invited visitor', async () => {
    const f = fake({ redeem_invite: () => ({ ...CHECKED_IN, visit_id: 'v-9', visitor_first_name: 'Ada', host_name: 'Harriet Host' }) });
    const m = await started(f);
    m.startInvite();
    m.setInviteCode('ABCDEFGHJK');
    await m.submitInviteCode();
    m.s.form.consent = true;
    await m.submitCheckIn();
    await vi.advanceTimersByTimeAsync(0);
    expect(f.of('print_badge')).toEqual([{ cmd: 'print_badge', args: { args: { visit_id: 'v-9' } } }]);
    expect(m.s.confirmation?.print).toBe('printed');
  });

  it('does not print while a visit waits for its host', async () => {
    const f = fake({ check_in: () => ({ ...CHECKED_IN, status: 'pending_approval', badge_code: null }), visit_state: () => new Promise(() => {}) });
    const m = await started(f);
    await checkIn(m);
    expect(m.s.screen).toBe('waiting');
    expect(f.of('print_badge')).toHaveLength(0);
  });
});

describe('reprinting a badge in override mode', () => {
  async function loggedIn(f: ReturnType<typeof fake>) {
    const m = await started(f);
    m.startOverrideLogin();
    m.s.login.email = 'receptionist@example.com';
    m.s.login.pin = '123456';
    await m.overrideLogin();
    return m;
  }

  it('prints through override_print_badge, the row saying printing then printed', async () => {
    const p = slow();
    const f = fake({ override_print_badge: p.handler });
    const m = await loggedIn(f);
    void m.reprintBadge('v-1');
    expect(m.s.reprints).toEqual({ 'v-1': 'printing' });
    // A second tap while it prints sends nothing more; the list stays usable.
    await m.reprintBadge('v-1');
    expect(f.of('override_print_badge')).toEqual([{ cmd: 'override_print_badge', args: { args: { visit_id: 'v-1' } } }]);
    expect(m.s.busy).toBe(false);
    p.answer('printed');
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.reprints).toEqual({ 'v-1': 'printed' });
    expect(f.of('print_badge')).toHaveLength(0);
  });

  it('says when there is no printer, or none answered', async () => {
    const outcomes = ['no_printer', 'unavailable'];
    const m = await loggedIn(fake({ override_print_badge: () => outcomes.shift() }));
    await m.reprintBadge('v-1');
    expect(m.s.reprints['v-1']).toBe('no_printer');
    await m.reprintBadge('v-1');
    expect(m.s.reprints['v-1']).toBe('unavailable');
    expect(m.s.screen).toBe('override-list');
  });

  it('says the printer is unavailable when the command fails, and ends an expired session', async () => {
    const f = fake({ override_print_badge: reject('unreachable') });
    const m = await loggedIn(f);
    await m.reprintBadge('v-1');
    expect(m.s.reprints['v-1']).toBe('unavailable');
    expect(m.s.screen).toBe('override-list');

    f.handlers.override_print_badge = reject('override_expired');
    await m.reprintBadge('v-1');
    await vi.advanceTimersByTimeAsync(0);
    expect(f.of('override_exit')).toHaveLength(1);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.reprints).toEqual({});
  });

  it('forgets the statuses on exit and drops an answer from an ended session', async () => {
    const p = slow();
    const f = fake({ override_print_badge: p.handler });
    const m = await loggedIn(f);
    void m.reprintBadge('v-1');
    await m.overrideExit();
    expect(m.s.reprints).toEqual({});
    m.startOverrideLogin();
    m.s.login.email = 'receptionist@example.com';
    m.s.login.pin = '123456';
    await m.overrideLogin();
    p.answer('printed');
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.reprints).toEqual({});
  });

  it('keeps the answer when the receptionist moved on within the session', async () => {
    const p = slow();
    const f = fake({ override_print_badge: p.handler });
    const m = await loggedIn(f);
    void m.reprintBadge('v-1');
    m.startOverrideCheckIn();
    await m.back();
    expect(m.s.screen).toBe('override-list');
    p.answer('printed');
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.reprints).toEqual({ 'v-1': 'printed' });
  });

  it('does nothing outside override mode', async () => {
    const f = fake();
    const m = await started(f);
    await m.reprintBadge('v-1');
    expect(f.of('override_print_badge')).toHaveLength(0);
    expect(m.s.reprints).toEqual({});
  });

  it("prints a receptionist's check-in through the override command", async () => {
    const f = fake();
    const m = await loggedIn(f);
    m.startOverrideCheckIn();
    m.s.form.name = 'Ada Lovelace';
    m.s.form.email = 'ada@example.com';
    m.detailsNext();
    m.setHostQuery('ali');
    await vi.advanceTimersByTimeAsync(200);
    m.pickHost(m.s.hosts[0]);
    m.purposeNext();
    m.s.form.consent = true;
    await m.submitCheckIn();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.screen).toBe('confirmation');
    expect(f.of('override_print_badge')).toEqual([{ cmd: 'override_print_badge', args: { args: { visit_id: 'v-1' } } }]);
    expect(f.of('print_badge')).toHaveLength(0);
    expect(m.s.confirmation?.print).toBe('printed');
  });
});
