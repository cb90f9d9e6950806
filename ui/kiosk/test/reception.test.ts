// A visit the server held at check-in (`status: "held"`, no badge: staff must see the visitor
// first), driven through the machine against a fake Tauri side and rendered (server-side) as the
// app shows it: the form dropped, the visit never asked about, a neutral screen that says only to
// see reception, in English and French, and back to welcome after the confirmation's delay. No
// word of it may hint at why: no "watch", "list" or "ban", in any case, in either language.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'svelte/server';
import App from '../src/App.svelte';
import { dictionaries, LANGS } from '../src/lib/i18n';
import { machine } from '../src/lib/kiosk.svelte';
import { emptyForm, emptyTyped, type KioskMachine } from '../src/lib/machine';
import { CHECKED_IN, fake, started } from './fake';

const HELD = { ...CHECKED_IN, status: 'held', badge_code: null, host_notification: 'none' };
const FORBIDDEN = ['watch', 'list', 'ban'];
/** The words the neutral screen shows (its title, its text, its button). */
const SHOWN = ['reception.title', 'reception.body', 'nav.done'] as const;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function checkIn(f: ReturnType<typeof fake>): Promise<KioskMachine> {
  const m = await started(f);
  await m.startCheckIn();
  m.s.form.name = 'Wilma Whitfield';
  m.s.form.email = 'wilma@example.com';
  m.s.form.company = 'Whitfield Ltd';
  m.detailsNext();
  m.setHostQuery('ali');
  await vi.advanceTimersByTimeAsync(200);
  m.pickHost(m.s.hosts[0]);
  m.s.form.purpose = 'Meeting';
  m.purposeNext();
  m.s.form.consent = true;
  await m.submitCheckIn();
  return m;
}

/** The text a page shows: its markup without tags, comments and attributes. */
function textOf(html: string): string {
  return html.replace(/<!--[\s\S]*?-->/g, '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
}

describe('a held check-in', () => {
  it('sends the visitor to reception, asks nothing, drops the form, then goes back to welcome', async () => {
    const f = fake({ check_in: () => HELD, visit_state: () => ({ visit_id: 'v-1', status: 'held', badge_code: null }) });
    const m = await checkIn(f);
    expect(f.of('check_in')).toHaveLength(1);
    expect(m.s.screen).toBe('waiting');
    expect(m.s.waiting).toEqual({ visitId: 'v-1', name: '', hostNotification: 'none', outcome: 'reception' });
    expect(m.s.form).toEqual(emptyForm());
    expect(m.s.typed).toEqual(emptyTyped());
    expect(m.s.host).toBeNull();
    expect(m.s.hosts).toEqual([]);
    expect(m.s.confirmation).toBeNull();
    // No badge to print, and no question about the visit: staff decide at the desk.
    await vi.advanceTimersByTimeAsync(14_999);
    expect(m.s.screen).toBe('waiting');
    expect(f.of('visit_state')).toHaveLength(0);
    expect(f.of('print_badge')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.waiting).toBeNull();
    expect(f.of('wipe')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(f.of('visit_state')).toHaveLength(0);
  });

  it('does the same for an invited visitor', async () => {
    const f = fake({ redeem_invite: () => ({ ...HELD, visitor_first_name: 'Wilma', host_name: 'Harriet Host' }) });
    const m = await started(f);
    m.startInvite();
    m.setInviteCode('ABCDEFGHJK');
    await m.submitInviteCode();
    m.s.form.consent = true;
    await m.submitCheckIn();
    expect(m.s.screen).toBe('waiting');
    expect(m.s.waiting?.outcome).toBe('reception');
    expect(m.s.invite).toBeNull();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(m.s.screen).toBe('welcome');
    expect(f.of('visit_state')).toHaveLength(0);
  });

  it('goes back to welcome at once when the visitor taps Done', async () => {
    const m = await checkIn(fake({ check_in: () => HELD }));
    await m.confirmationDone();
    expect(m.s.screen).toBe('welcome');
    expect(m.s.waiting).toBeNull();
  });
});

describe('the neutral screen', () => {
  it('never hints at why, in either language', () => {
    for (const lang of LANGS) {
      for (const key of SHOWN) {
        const text = dictionaries[lang][key].toLowerCase();
        for (const word of FORBIDDEN) expect(text, `${lang}:${key}`).not.toContain(word);
      }
    }
  });

  it('is what the app shows for a held visit, with its test id and only neutral words', () => {
    machine.s.screen = 'waiting';
    machine.s.waiting = { visitId: 'v-1', name: '', hostNotification: 'none', outcome: 'reception' };
    try {
      for (const lang of LANGS) {
        machine.s.lang = lang;
        const { body } = render(App);
        expect(body).toContain('data-testid="see-reception"');
        expect(body).not.toContain('data-testid="screen-waiting"');
        const text = textOf(body);
        expect(text).toContain(dictionaries[lang]['reception.title']);
        expect(text).toContain(dictionaries[lang]['reception.body']);
        for (const word of FORBIDDEN) expect(text.toLowerCase(), `${lang}: ${text}`).not.toContain(word);
      }
      // The wait for a host's approval keeps its own screen.
      machine.s.lang = 'en';
      machine.s.waiting = { visitId: 'v-1', name: 'Ada', hostNotification: 'queued', outcome: 'waiting' };
      const { body } = render(App);
      expect(body).toContain('data-testid="screen-waiting"');
      expect(body).not.toContain('data-testid="see-reception"');
    } finally {
      machine.s.screen = 'loading';
      machine.s.waiting = null;
      machine.s.lang = 'en';
    }
  });
});
