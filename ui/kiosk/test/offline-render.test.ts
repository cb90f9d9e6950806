// The offline parts of the screens, rendered (server-side) as the app shows them, with the test ids
// the end-to-end test finds: the welcome banner (a number, no names), an offline confirmation (the
// provisional code where the badge code shows, its notice, no print line), the code screen's
// walk-in offer, the receptionist's section (reachable or not, who waits, quitting and its
// confirmation) shown even with an empty list, and the dialog of a refused close.
import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import App from '../src/App.svelte';
import { dictionaries, LANGS, translate } from '../src/lib/i18n';
import { machine } from '../src/lib/kiosk.svelte';
import { initialState } from '../src/lib/machine';
import { OFFLINE_STATUS } from './fake';

/** The text a page shows: its markup without tags, comments and attributes. */
function textOf(html: string): string {
  return html.replace(/<!--[\s\S]*?-->/g, '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
}

/** Renders the app in `lang` with the state `set` makes, then puts the shared state back. */
function shown(set: () => void, lang: (typeof LANGS)[number] = 'en'): { body: string; text: string } {
  const fresh = initialState();
  try {
    set();
    machine.s.lang = lang;
    const { body } = render(App);
    return { body, text: textOf(body) };
  } finally {
    Object.assign(machine.s, fresh);
  }
}

const count = (body: string, testid: string) => body.split(`data-testid="${testid}"`).length - 1;

describe('the welcome screen', () => {
  it('shows how many check-ins wait, never who', () => {
    for (const lang of LANGS) {
      const { body, text } = shown(() => {
        machine.s.screen = 'welcome';
        machine.s.offline = { ...OFFLINE_STATUS, waiting: 5, reachable: false, visitors: [{ first_name: 'Ada', checked_in_at: '2025-01-01T09:00:00Z' }] };
      }, lang);
      expect(body).toMatch(/data-testid="offline-banner"[^>]*data-waiting="5"|data-waiting="5"[^>]*data-testid="offline-banner"/);
      expect(text).toContain(translate(lang, 'welcome.offline_many', { n: 5 }));
      expect(text).not.toContain('Ada');
    }
  });

  it('shows no banner when nothing waits or before the first answer', () => {
    expect(shown(() => (machine.s.screen = 'welcome')).body).not.toContain('offline-banner');
    const { body } = shown(() => {
      machine.s.screen = 'welcome';
      machine.s.offline = { ...OFFLINE_STATUS };
    });
    expect(body).not.toContain('offline-banner');
  });
});

describe('an offline confirmation', () => {
  it('shows the provisional code as the badge code, with its notice and no print line', () => {
    for (const lang of LANGS) {
      const { body, text } = shown(() => {
        machine.s.screen = 'confirmation';
        machine.s.confirmation = {
          name: 'Ada Lovelace',
          badgeCode: 'ZQ722345',
          visitId: '00000000-0000-0000-0000-000000000000',
          hostNotification: 'queued',
          offline: true,
          print: null,
        };
      }, lang);
      expect(body).toContain('data-testid="badge-code"');
      expect(body).toContain('ZQ722345');
      expect(body).toContain('data-testid="offline-notice"');
      expect(text).toContain(dictionaries[lang]['confirm.offline']);
      expect(text).toContain(dictionaries[lang]['confirm.badge_provisional']);
      expect(body).not.toContain('data-testid="print-status"');
      expect(body).not.toContain('data-testid="host-notice"');
    }
  });

  it('an online one has no such notice', () => {
    const { body } = shown(() => {
      machine.s.screen = 'confirmation';
      machine.s.confirmation = { name: 'Ada', badgeCode: 'ABCD2345', visitId: 'v-1', hostNotification: 'queued', print: 'printing' };
    });
    expect(body).not.toContain('offline-notice');
    expect(body).toContain('data-testid="host-notice"');
  });
});

describe('the code screen offline', () => {
  it('says invitations and passes cannot be checked, and offers the walk-in', () => {
    for (const lang of LANGS) {
      const { body, text } = shown(() => {
        machine.s.screen = 'invite';
        machine.s.invite = { code: 'ABCDEFGHJK', kind: 'invite', greeting: null, offline: true };
      }, lang);
      expect(body).toContain('data-testid="offline-walk-in"');
      expect(text).toContain(dictionaries[lang]['invite.offline']);
      expect(text).toContain(dictionaries[lang]['invite.walk_in']);
    }
    const { body } = shown(() => {
      machine.s.screen = 'invite';
      machine.s.invite = { code: '', kind: 'invite', greeting: null };
    });
    expect(body).not.toContain('offline-walk-in');
  });
});

describe('the receptionist\u2019s section', () => {
  it('shows whether the server answers and who waits, first names and times only, with an empty list', () => {
    const { body, text } = shown(() => {
      machine.s.screen = 'override-list';
      machine.s.override = { expiresAt: '2025-01-01T10:00:00Z' };
      machine.s.formError = 'override.unreachable';
      machine.s.offline = {
        ...OFFLINE_STATUS,
        waiting: 2,
        reachable: false,
        visitors: [
          { first_name: 'Ada', checked_in_at: '2025-01-01T09:00:00Z' },
          { first_name: 'Grace', checked_in_at: '2025-01-01T09:05:00Z' },
        ],
      };
    });
    expect(body).toContain('data-testid="offline-waiting"');
    expect(body).toMatch(/data-testid="offline-reachable"[^>]*data-reachable="false"|data-reachable="false"[^>]*data-testid="offline-reachable"/);
    expect(count(body, 'offline-waiting-row')).toBe(2);
    expect(text).toContain('Ada');
    expect(text).toContain('Grace');
    expect(text).toContain(translate('en', 'override.offline_many', { n: 2 }));
    expect(text).toContain(translate('en', 'override.unreachable'));
    expect(body).toContain('data-testid="override-quit"');
    expect(body).toContain('data-testid="override-empty"');
  });

  it('shows none waiting and a reachable server', () => {
    const { body, text } = shown(() => {
      machine.s.screen = 'override-list';
      machine.s.override = { expiresAt: '2025-01-01T10:00:00Z' };
      machine.s.offline = { ...OFFLINE_STATUS, visitors: [] };
    });
    expect(body).toMatch(/data-reachable="true"/);
    expect(count(body, 'offline-waiting-row')).toBe(0);
    expect(text).toContain(translate('en', 'override.offline_none'));
  });

  it('asks before quitting, saying how many check-ins would be lost', () => {
    for (const lang of LANGS) {
      const { body, text } = shown(() => {
        machine.s.screen = 'override-list';
        machine.s.override = { expiresAt: '2025-01-01T10:00:00Z' };
        machine.s.quit = { state: 'confirming', waiting: 3 };
      }, lang);
      expect(body).toContain('data-testid="quit-confirm"');
      expect(body).toContain('data-testid="quit-confirm-yes"');
      expect(body).not.toContain('data-testid="override-quit"');
      expect(text).toContain(translate(lang, 'override.quit_confirm_many', { n: 3 }));
    }
  });
});

describe('a refused close', () => {
  it('shows its dialog over the screen, with how many wait', () => {
    for (const lang of LANGS) {
      const { body, text } = shown(() => {
        machine.s.screen = 'welcome';
        machine.s.quitRefused = 4;
      }, lang);
      expect(body).toContain('data-testid="screen-welcome"');
      expect(body).toContain('data-testid="quit-refused"');
      expect(body).toContain('data-testid="quit-refused-ok"');
      expect(text).toContain(translate(lang, 'quit_refused.many', { n: 4 }));
    }
    expect(shown(() => (machine.s.screen = 'welcome')).body).not.toContain('quit-refused');
  });
});
