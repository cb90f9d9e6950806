// The kiosk's state machine, in plain TypeScript: no Svelte, no DOM. It owns the current screen,
// the form, inline errors, idle timers, wiping, the language and the override session.
// Commands go through an injected `invoke`, timers through an injected `Timers`, so tests drive it
// with fakes. The Svelte app passes a `$state` object as `state`, making every mutation reactive;
// the machine only ever mutates properties of that object, never replaces it.
//
// Split by flow: `machine/state.ts` (the state), `machine/core.ts` (timers, errors, wipe),
// `machine/visitor.ts` (setup, self check-in, check-out), `machine/approval.ts` (the wait for a
// host's approval), `machine/typed.ts` and `machine/flow.ts` (the check-in of a visitor type),
// `machine/evacuation.ts` (the receptionist starting an evacuation), `machine/offline.ts` (the
// check-ins waiting for the server, quitting) and here override mode and the navigation that
// spans flows.

import { toCommandError, type OnSiteVisit } from './commands';
import type { MessageKey } from './i18n';
import { reprintState, type ReprintState } from './print';
import type { Screen } from './machine/state';
import { validateCompany, validateEmail, validateName, validatePin, validatePurpose } from './validation';
import { correctField, loginField } from './machine/fields';
import { OfflineMachine } from './machine/offline';

export * from './machine/state';

/** The screens a visitor type's steps go through. */
const TYPED: ReadonlySet<Screen> = new Set<Screen>(['details', 'questions', 'host', 'consent', 'agreement', 'signature', 'photo']);

export class KioskMachine extends OfflineMachine {
  /** Bumped when a receptionist logs in or out: a reprint's late answer from another session is dropped. */
  private overrideSession = 0;

  startOverrideLogin(): void {
    this.s.login = { email: '', pin: '' };
    this.s.notice = null;
    this.clearErrors();
    this.go('override-login');
  }

  async back(): Promise<void> {
    if (this.s.screen === 'type' || (this.s.visitorType && !this.s.override && !this.s.invite && TYPED.has(this.s.screen))) {
      await this.typedBack();
      return;
    }
    switch (this.s.screen) {
      case 'details':
        if (this.s.override) {
          await this.wipe(false);
          this.go('override-list');
        } else {
          await this.wipe(false);
          this.go('welcome');
        }
        return;
      case 'host':
        this.clearErrors();
        this.go(this.s.invite ? 'invite' : 'details');
        return;
      case 'purpose':
        this.clearErrors();
        this.go('host');
        return;
      case 'consent':
        this.clearErrors();
        if (!this.s.invite) this.go('purpose');
        else this.go(this.s.invite.greeting?.host_name === null ? 'host' : 'invite');
        return;
      case 'invite':
        await this.wipe(false);
        this.go('welcome');
        return;
      case 'checkout':
        this.s.checkout = { code: '', done: false };
        this.clearErrors();
        this.go('welcome');
        return;
      case 'override-login':
        this.s.login = { email: '', pin: '' };
        this.clearErrors();
        this.go('welcome');
        return;
      case 'override-correct':
        this.s.correct = null;
        this.clearErrors();
        this.go('override-list');
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- override mode

  async overrideLogin(): Promise<void> {
    if (this.s.busy) return;
    this.clearErrors();
    const email = this.s.login.email.trim();
    const pin = this.s.login.pin;
    this.setErrors({ 'override-email': validateEmail(email), 'override-pin': validatePin(pin) });
    if (this.hasErrors()) return;
    const send = async (): Promise<void> => {
      const epoch = this.epoch;
      this.s.busy = true;
      try {
        const session = await this.cmd.overrideLogin(email, pin);
        if (epoch !== this.epoch) return;
        this.s.login = { email: '', pin: '' };
        this.overrideSession++;
        this.s.override = { expiresAt: session.expires_at };
        this.s.reprints = {};
        this.s.evacuation = null;
        this.s.quit = null;
        this.s.error = null;
        this.retryAction = null;
        this.go('override-list');
        this.s.busy = false;
        await this.loadVisits();
      } catch (e) {
        if (epoch !== this.epoch) return;
        const err = toCommandError(e);
        this.s.login.pin = '';
        if (this.handleError(err, send)) return;
        this.go('override-login');
        if (!this.applyFieldErrors(err, loginField)) {
          this.s.formError = err.kind === 'locked' ? 'form.locked' : 'form.bad_login';
        }
      } finally {
        if (epoch === this.epoch) this.s.busy = false;
      }
    };
    await send();
  }

  async loadVisits(): Promise<void> {
    if (!this.s.override) return;
    const epoch = this.epoch;
    this.s.busy = true;
    try {
      const [visits, expected] = await Promise.all([this.cmd.overrideVisits(), this.cmd.overrideExpected()]);
      if (epoch !== this.epoch || !this.s.override) return;
      this.s.visits = visits.map((v) => ({ ...v }));
      if (!visits.some((v) => v.id === this.s.photo?.visitId)) this.s.photo = null;
      this.s.expected = expected.map((e) => ({ ...e }));
    } catch (e) {
      if (epoch !== this.epoch) return;
      const err = toCommandError(e);
      // No server: the list stays up (its offline section included), saying it cannot be updated.
      if (err.kind === 'unreachable') {
        this.s.formError = 'override.unreachable';
        return;
      }
      if (this.handleError(err, () => this.reloadList())) return;
      this.s.formError = 'form.rejected';
    } finally {
      if (epoch === this.epoch) this.s.busy = false;
    }
  }

  private async reloadList(): Promise<void> {
    this.s.error = null;
    this.go('override-list');
    await this.loadVisits();
  }

  /** Checks in an invited visitor who has arrived, from the expected list. */
  overrideCheckInInvited(inviteId: string): Promise<void> {
    return this.onList(() => this.cmd.overrideCheckInInvited(inviteId));
  }

  overrideCheckOut(visitId: string): Promise<void> {
    return this.onList(() => this.cmd.overrideCheckOut(visitId));
  }

  /** One action of the receptionist's list (a check-out, an expected visitor's check-in), then
   *  the list again; a visit or invitation gone meanwhile is a conflict. */
  private async onList(action: () => Promise<unknown>): Promise<void> {
    if (this.s.busy || !this.s.override) return;
    this.clearErrors();
    const send = async (): Promise<void> => {
      const epoch = this.epoch;
      this.s.busy = true;
      try {
        await action();
        if (epoch !== this.epoch) return;
      } catch (e) {
        if (epoch !== this.epoch) return;
        const err = toCommandError(e);
        if (err.kind === 'unreachable') {
          this.s.formError = 'override.unreachable';
          return;
        }
        if (this.handleError(err, send)) return;
        this.s.formError = err.kind === 'not_found' || err.kind === 'conflict' ? 'form.conflict' : 'form.rejected';
      } finally {
        if (epoch === this.epoch) this.s.busy = false;
      }
      if (this.s.screen === 'error') this.go('override-list');
      this.s.error = null;
      await this.loadVisits();
    };
    await send();
  }

  /** Opens a visitor's photo in the receptionist's list (another tap on the same row closes it). */
  async showPhoto(visitId: string): Promise<void> {
    if (this.s.busy || !this.s.override) return;
    if (this.s.photo?.visitId === visitId) {
      this.s.photo = null;
      return;
    }
    const epoch = this.epoch;
    this.s.busy = true;
    try {
      const jpeg = await this.cmd.overridePhoto(visitId);
      if (epoch !== this.epoch || !this.s.override) return;
      this.s.photo = { visitId, jpeg };
    } catch (e) {
      if (epoch !== this.epoch) return;
      const err = toCommandError(e);
      if (this.handleError(err, () => this.reloadList())) return;
      this.s.formError = 'form.rejected';
    } finally {
      if (epoch === this.epoch) this.s.busy = false;
    }
  }

  /**
   * Prints a visit's badge again, from the receptionist's list: in the background (the list stays
   * usable), its row saying how it went. A session gone meanwhile drops the answer; one that
   * expired or a kiosk revoked is handled as anywhere else, any other failure is "unavailable".
   */
  async reprintBadge(visitId: string): Promise<void> {
    if (!this.s.override || this.s.reprints[visitId] === 'printing') return;
    const session = this.overrideSession;
    this.s.reprints[visitId] = 'printing';
    let state: ReprintState;
    try {
      state = reprintState(await this.cmd.overridePrintBadge(visitId));
    } catch (e) {
      if (session !== this.overrideSession || !this.s.override) return;
      const err = toCommandError(e);
      if (err.kind === 'override_expired' || err.kind === 'revoked') {
        this.handleError(err, null);
        return;
      }
      state = 'unavailable';
    }
    if (session !== this.overrideSession || !this.s.override) return;
    this.s.reprints[visitId] = state;
  }

  startOverrideCheckIn(): void {
    if (!this.s.override) return;
    this.cancelEvacuation();
    this.cancelQuit();
    this.resetVisitor();
    this.go('details');
  }

  startCorrect(visit: OnSiteVisit): void {
    if (!this.s.override) return;
    this.cancelEvacuation();
    this.cancelQuit();
    const original = { name: visit.visitor_name, company: visit.visitor_company ?? '', purpose: visit.purpose ?? '' };
    this.s.correct = { visitId: visit.id, ...original, original };
    this.clearErrors();
    this.go('override-correct');
  }

  async saveCorrect(): Promise<void> {
    const c = this.s.correct;
    if (this.s.busy || !c || !this.s.override) return;
    this.clearErrors();
    this.setErrors({
      'correct-name': validateName(c.name),
      'correct-company': validateCompany(c.company),
      'correct-purpose': validatePurpose(c.purpose),
    });
    if (this.hasErrors()) return;
    // null = unchanged; a cleared optional field is sent as "" (clear it).
    const changed = (now: string, before: string): string | null => (now.trim() === before.trim() ? null : now.trim());
    const req = {
      visit_id: c.visitId,
      visitor_name: changed(c.name, c.original.name),
      visitor_company: changed(c.company, c.original.company),
      purpose: changed(c.purpose, c.original.purpose),
    };
    if (req.visitor_name === null && req.visitor_company === null && req.purpose === null) {
      this.s.correct = null;
      this.go('override-list');
      return;
    }
    const send = async (): Promise<void> => {
      const epoch = this.epoch;
      this.s.busy = true;
      try {
        await this.cmd.overrideCorrect(req);
        if (epoch !== this.epoch) return;
        this.s.correct = null;
        this.s.error = null;
        this.go('override-list');
        this.s.busy = false;
        await this.loadVisits();
      } catch (e) {
        if (epoch !== this.epoch) return;
        const err = toCommandError(e);
        if (this.handleError(err, send)) return;
        this.go('override-correct');
        if (!this.applyFieldErrors(err, correctField)) {
          this.s.formError = err.kind === 'conflict' || err.kind === 'not_found' ? 'form.conflict' : 'form.rejected';
        }
      } finally {
        if (epoch === this.epoch) this.s.busy = false;
      }
    };
    await send();
  }

  /** Ends the override session: tells the Rust side, wipes everything, back to welcome. */
  async overrideExit(notice: MessageKey | null = null): Promise<void> {
    const wasActive = this.s.override !== null;
    this.overrideSession++;
    this.s.override = null;
    this.s.reprints = {};
    this.s.evacuation = null;
    this.s.quit = null;
    this.forgetOffline();
    this.s.visits = [];
    this.s.expected = [];
    this.s.correct = null;
    this.s.photo = null;
    this.s.login = { email: '', pin: '' };
    this.clearTimer();
    if (wasActive) {
      try {
        await this.cmd.overrideExit();
      } catch {
        // The session is gone either way; nothing to show.
      }
    }
    await this.wipe(true);
    this.s.notice = notice;
    this.go('welcome');
  }

  // ---------------------------------------------------------------- errors

  /** The error screen's retry: re-sends the very request that failed. */
  async retry(): Promise<void> {
    const action = this.retryAction;
    if (!action || this.s.busy) return;
    await action();
  }

  /** The error screen's way out. */
  async errorHome(): Promise<void> {
    const kind = this.s.error?.kind;
    if (kind === 'keychain') return;
    this.retryAction = null;
    this.dropPending();
    this.s.error = null;
    if (!this.s.status?.enrolled) {
      this.go('setup');
    } else if (this.s.override) {
      await this.wipe(false);
      this.go('override-list');
      await this.loadVisits();
    } else {
      await this.wipe(true);
      this.go('welcome');
    }
  }
}
