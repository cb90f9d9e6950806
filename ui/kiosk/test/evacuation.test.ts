// Starting an evacuation from the receptionist's list, driven through the machine against a fake
// Tauri side: a tap asks for confirmation (nothing sent), a second one sends
// override_start_evacuation once, in the background, and the status line says how many people the
// roll call lists, or why it did not start (one already open, anything else); an expired session
// or a revoked kiosk ends it as anywhere else, a late answer from an ended session is dropped. And
// the pure mappings and their words.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCommands } from '../src/lib/commands';
import { EVACUATION_FAILURES, evacuationFailure, evacuationStatus } from '../src/lib/evacuation';
import { dictionaries, translate } from '../src/lib/i18n';
import { fake, reject, slow, started } from './fake';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});


async function login(m: Awaited<ReturnType<typeof started>>) {
  m.startOverrideLogin();
  m.s.login.email = 'receptionist@example.com';
  m.s.login.pin = '123456';
  await m.overrideLogin();
}

async function loggedIn(f: ReturnType<typeof fake>) {
  const m = await started(f);
  await login(m);
  return m;
}

describe('evacuation outcomes', () => {
  it('say an open roll call apart from any other failure', () => {
    expect(evacuationFailure({ kind: 'conflict', message: '' })).toBe('already_open');
    for (const kind of ['unreachable', 'internal', 'validation', 'not_found', 'pin_mismatch'] as const) {
      expect(evacuationFailure({ kind, message: '' }), kind).toBe('failed');
    }
  });

  it('map onto the status line, with a phrase that fits the number; none while confirming', () => {
    expect(evacuationStatus(null)).toBeNull();
    expect(evacuationStatus({ state: 'confirming' })).toBeNull();
    expect(evacuationStatus({ state: 'starting' })).toEqual({ key: 'override.evacuation_starting' });
    expect(evacuationStatus({ state: 'started', total: 0 })).toEqual({ key: 'override.evacuation_started_none' });
    expect(evacuationStatus({ state: 'started', total: 1 })).toEqual({ key: 'override.evacuation_started_one' });
    expect(evacuationStatus({ state: 'started', total: 12 })).toEqual({ key: 'override.evacuation_started_many', params: { n: 12 } });
    expect(evacuationStatus({ state: 'failed', reason: 'already_open' })).toEqual({ key: EVACUATION_FAILURES.already_open });
    expect(evacuationStatus({ state: 'failed', reason: 'failed' })).toEqual({ key: EVACUATION_FAILURES.failed });
  });

  it('have their words in both languages', () => {
    expect(translate('en', 'override.evacuation_start')).toBe('Start evacuation');
    expect(translate('fr', 'override.evacuation_start')).toBe('Lancer l\u2019évacuation');
    expect(translate('en', 'override.evacuation_started_many', { n: 12 })).toBe(
      'Roll call started with 12 people on site. The emergency contacts are being emailed the link.',
    );
    expect(translate('fr', 'override.evacuation_started_many', { n: 12 })).toBe(
      'Appel d\u2019évacuation lancé avec 12 personnes sur site. Le lien est envoyé par e-mail aux contacts d\u2019urgence.',
    );
    for (const lang of ['en', 'fr'] as const) {
      const confirm = dictionaries[lang]['override.evacuation_confirm_text'];
      expect(confirm, lang).toMatch(lang === 'en' ? /everyone on site/i : /toutes les personnes/i);
      expect(confirm, lang).toMatch(lang === 'en' ? /emergency contacts/ : /contacts d\u2019urgence/);
      expect(dictionaries[lang][EVACUATION_FAILURES.already_open], lang).not.toBe(dictionaries[lang][EVACUATION_FAILURES.failed]);
    }
  });

  it('come from override_start_evacuation, sent without arguments', async () => {
    const f = fake({ override_start_evacuation: () => ({ id: 'e-7', total: 3 }) });
    expect(await createCommands(f.invoke).overrideStartEvacuation()).toEqual({ id: 'e-7', total: 3 });
    expect(f.calls).toEqual([{ cmd: 'override_start_evacuation', args: undefined }]);
  });
});

describe('starting an evacuation in override mode', () => {
  it('asks for confirmation first, and sends nothing when cancelled', async () => {
    const f = fake();
    const m = await loggedIn(f);
    m.askEvacuation();
    expect(m.s.evacuation).toEqual({ state: 'confirming' });
    m.cancelEvacuation();
    expect(m.s.evacuation).toBeNull();
    await m.startEvacuation();
    expect(f.of('override_start_evacuation')).toHaveLength(0);
    expect(m.s.screen).toBe('override-list');
  });

  it('starts once confirmed, in the background, then says how many people are on the roll call', async () => {
    const p = slow();
    const f = fake({ override_start_evacuation: p.handler });
    const m = await loggedIn(f);
    const before = f.calls.length;
    m.askEvacuation();
    void m.startEvacuation();
    expect(m.s.evacuation).toEqual({ state: 'starting' });
    expect(m.s.busy).toBe(false);
    // Another tap meanwhile sends nothing more.
    m.askEvacuation();
    await m.startEvacuation();
    expect(m.s.evacuation).toEqual({ state: 'starting' });
    p.answer({ id: 'e-1', total: 12 });
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.evacuation).toEqual({ state: 'started', total: 12 });
    expect(f.calls.slice(before)).toEqual([{ cmd: 'override_start_evacuation', args: undefined }]);
    expect(m.s.screen).toBe('override-list');
    expect(m.s.override).not.toBeNull();
  });

  it('says when a roll call is already open, and when it failed otherwise, on the list', async () => {
    const f = fake({ override_start_evacuation: reject('conflict') });
    const m = await loggedIn(f);
    m.askEvacuation();
    await m.startEvacuation();
    expect(m.s.evacuation).toEqual({ state: 'failed', reason: 'already_open' });

    for (const kind of ['unreachable', 'internal', 'validation', 'not_found', 'pin_mismatch']) {
      f.handlers.override_start_evacuation = reject(kind);
      m.askEvacuation();
      await m.startEvacuation();
      expect(m.s.evacuation, kind).toEqual({ state: 'failed', reason: 'failed' });
      expect(m.s.screen, kind).toBe('override-list');
      expect(m.s.error, kind).toBeNull();
    }

    // Tried again, it can still start.
    f.handlers.override_start_evacuation = () => ({ id: 'e-2', total: 0 });
    m.askEvacuation();
    await m.startEvacuation();
    expect(m.s.evacuation).toEqual({ state: 'started', total: 0 });
  });

  it('ends the session when it expired', async () => {
    const f = fake({ override_start_evacuation: reject('override_expired') });
    const m = await loggedIn(f);
    m.askEvacuation();
    await m.startEvacuation();
    await vi.advanceTimersByTimeAsync(0);
    expect(f.of('override_exit')).toHaveLength(1);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.notice).toBe('welcome.override_ended');
    expect(m.s.evacuation).toBeNull();
  });

  it('goes back to setup when the kiosk was revoked', async () => {
    const f = fake({ override_start_evacuation: reject('revoked') });
    const m = await loggedIn(f);
    m.askEvacuation();
    await m.startEvacuation();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.screen).toBe('setup');
    expect(m.s.notice).toBe('setup.revoked');
    expect(m.s.override).toBeNull();
    expect(m.s.evacuation).toBeNull();
  });

  it('forgets it on exit and drops the answer of an ended session, even in the next one', async () => {
    const p = slow();
    const f = fake({ override_start_evacuation: p.handler });
    const m = await loggedIn(f);
    m.askEvacuation();
    void m.startEvacuation();
    await m.overrideExit();
    expect(m.s.evacuation).toBeNull();
    await login(m);
    p.answer({ id: 'e-1', total: 4 });
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.evacuation).toBeNull();

    const q = slow();
    f.handlers.override_start_evacuation = q.handler;
    m.askEvacuation();
    void m.startEvacuation();
    await m.overrideExit();
    await login(m);
    q.fail({ kind: 'override_expired', message: 'x' });
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.screen).toBe('override-list');
    expect(m.s.evacuation).toBeNull();
    expect(f.of('override_exit')).toHaveLength(2);
  });

  it("never puts an ended session's answer on the next session's start", async () => {
    const first = slow();
    const second = slow();
    const f = fake({ override_start_evacuation: first.handler });
    const m = await loggedIn(f);
    m.askEvacuation();
    void m.startEvacuation();
    await m.overrideExit();
    await login(m);
    f.handlers.override_start_evacuation = second.handler;
    m.askEvacuation();
    void m.startEvacuation();
    first.answer({ id: 'e-1', total: 4 });
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.evacuation).toEqual({ state: 'starting' });
    second.fail({ kind: 'conflict', message: 'x' });
    await vi.advanceTimersByTimeAsync(0);
    expect(m.s.evacuation).toEqual({ state: 'failed', reason: 'already_open' });
  });

  it('drops a pending confirmation when the receptionist moves on, but keeps what it said', async () => {
    const f = fake();
    const m = await loggedIn(f);
    m.askEvacuation();
    m.startOverrideCheckIn();
    await m.back();
    expect(m.s.evacuation).toBeNull();

    m.askEvacuation();
    await m.startEvacuation();
    m.startCorrect(m.s.visits[0]);
    await m.back();
    expect(m.s.screen).toBe('override-list');
    expect(m.s.evacuation).toEqual({ state: 'started', total: 1 });
  });

  it('does nothing outside override mode, nor without a confirmation', async () => {
    const f = fake();
    const m = await started(f);
    m.askEvacuation();
    expect(m.s.evacuation).toBeNull();
    await m.startEvacuation();
    await login(m);
    await m.startEvacuation();
    expect(f.of('override_start_evacuation')).toHaveLength(0);
    expect(m.s.evacuation).toBeNull();
  });
});
