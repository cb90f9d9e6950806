// The wait for a host's approval, driven through the machine against a fake Tauri side: the
// visit taken without a badge, asked about every 2.5 s (no idle timeout meanwhile) until the host
// approves (the badge, as any confirmation shows it), denies (or the visit turns out held), or
// the wait is over (reception); the form dropped as soon as the check-in is sent, and no more
// asking once the visitor leaves.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KioskVisitorType } from '../src/lib/commands';
import { emptyTyped, type KioskMachine } from '../src/lib/machine';
import { CHECKED_IN, fake, started } from './fake';

const INTERVIEW: KioskVisitorType = {
  id: 't-interview',
  names: { en: 'Interview' },
  icon: 'interview',
  fields: { company: 'optional', phone: 'optional', purpose: 'off' },
  questions: [],
  agreements: [],
  photo: false,
  host_required: true,
  approval: true,
};

const PENDING = { ...CHECKED_IN, status: 'pending_approval', badge_code: null };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function details(m: KioskMachine) {
  m.s.form.name = 'Ada Lovelace';
  m.s.form.email = 'ada@example.com';
}

async function pickHost(m: KioskMachine) {
  m.setHostQuery('ali');
  await vi.advanceTimersByTimeAsync(200);
  m.pickHost(m.s.hosts[0]);
}

describe("the host's approval", () => {
  async function checkedIn(f: ReturnType<typeof fake>, waitSecs = 180) {
    const m = await started(f, { approvalWaitSecs: waitSecs });
    await m.startCheckIn();
    details(m);
    m.detailsNext();
    await pickHost(m);
    m.s.form.consent = true;
    await m.submitCheckIn();
    return m;
  }

  it('waits, asking every 2.5 s, then shows the badge once approved', async () => {
    const states = ['pending_approval', 'pending_approval', 'on_site'];
    const f = fake({
      visitor_types: () => [INTERVIEW],
      check_in: () => PENDING,
      visit_state: () => {
        const status = states.shift();
        return { visit_id: 'v-1', status, badge_code: status === 'on_site' ? 'WXYZ6789' : null };
      },
    });
    const m = await checkedIn(f);
    expect(m.s.screen).toBe('waiting');
    expect(m.s.waiting).toEqual({ visitId: 'v-1', name: 'Ada Lovelace', hostNotification: 'queued', outcome: 'waiting' });
    expect(m.s.typed).toEqual(emptyTyped());
    expect(m.s.form.email).toBe('');
    await vi.advanceTimersByTimeAsync(2_499);
    expect(f.of('visit_state')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.of('visit_state')).toEqual([{ cmd: 'visit_state', args: { args: { visit_id: 'v-1' } } }]);
    // No idle timeout while waiting.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(m.s.screen).toBe('confirmation');
    expect(m.s.confirmation).toEqual({ name: 'Ada Lovelace', badgeCode: 'WXYZ6789', visitId: 'v-1', hostNotification: 'queued', approved: true, print: 'printed' });
    expect(f.of('print_badge')).toEqual([{ cmd: 'print_badge', args: { args: { visit_id: 'v-1' } } }]);
    expect(m.confirmationNotice).toBe('confirm.approved');
    expect(m.s.waiting).toBeNull();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(m.s.screen).toBe('welcome');
    expect(f.of('visit_state')).toHaveLength(3);
  });

  it('sends the visitor to reception when the host denies, then goes back to welcome', async () => {
    const f = fake({
      visitor_types: () => [INTERVIEW],
      check_in: () => PENDING,
      visit_state: () => ({ visit_id: 'v-1', status: 'denied', badge_code: null }),
    });
    const m = await checkedIn(f);
    await vi.advanceTimersByTimeAsync(2_500);
    expect(m.s.screen).toBe('waiting');
    expect(m.s.waiting?.outcome).toBe('denied');
    await vi.advanceTimersByTimeAsync(15_000);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.waiting).toBeNull();
    expect(f.of('visit_state')).toHaveLength(1);
  });

  it('sends the visitor to reception, saying nothing more, when the visit turns out held', async () => {
    const f = fake({
      visitor_types: () => [INTERVIEW],
      check_in: () => PENDING,
      visit_state: () => ({ visit_id: 'v-1', status: 'held', badge_code: null }),
    });
    const m = await checkedIn(f);
    await vi.advanceTimersByTimeAsync(2_500);
    expect(m.s.screen).toBe('waiting');
    expect(m.s.waiting?.outcome).toBe('reception');
    await vi.advanceTimersByTimeAsync(15_000);
    expect(m.s.screen).toBe('welcome');
    expect(f.of('visit_state')).toHaveLength(1);
  });

  it('gives up after the time allowed, through unreachable moments', async () => {
    let n = 0;
    const f = fake({
      visitor_types: () => [INTERVIEW],
      check_in: () => PENDING,
      visit_state: () => (n++ % 2 ? Promise.reject({ kind: 'unreachable', message: 'x' }) : { visit_id: 'v-1', status: 'pending_approval', badge_code: null }),
    });
    const m = await checkedIn(f, 10);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(m.s.waiting?.outcome).toBe('waiting');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(m.s.waiting?.outcome).toBe('gave_up');
    expect(f.of('visit_state')).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(m.s.screen).toBe('welcome');
    expect(f.of('visit_state')).toHaveLength(4);
  });

  it('stops asking when the visitor leaves the waiting screen', async () => {
    const f = fake({
      visitor_types: () => [INTERVIEW],
      check_in: () => PENDING,
      visit_state: () => ({ visit_id: 'v-1', status: 'pending_approval', badge_code: null }),
    });
    const m = await checkedIn(f);
    await vi.advanceTimersByTimeAsync(2_500);
    await m.confirmationDone();
    expect(m.s.screen).toBe('welcome');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(f.of('visit_state')).toHaveLength(1);
  });
});
