// The visitor's flows: setup (enrollment), welcome, self check-in (details → host → purpose →
// consent → confirmation; a visitor type's steps are `machine/typed.ts`'s), an invited visitor's
// check-in (code → greeting and consent → confirmation), a pass holder's (code → host, unless
// invited today → greeting and consent → confirmation) and check-out by badge code. Offline, a
// walk-in's check-in is sealed by the Rust side and confirmed with a provisional code (nothing
// printed), while an invitation or a pass cannot be checked: its screen offers the walk-in path.

import { isPassCode, normalizeCode } from '@vestibule/common';
import { toCommandError, type CheckedIn, type CheckInArgs, type CommandError, type Host } from '../commands';
import type { Lang, MessageKey } from '../i18n';
import { printState, type PrintState } from '../print';
import {
  lines,
  validateBadgeCode,
  validateCompany,
  validateEmail,
  validateEnrollmentCode,
  validateInviteCode,
  validateName,
  validatePhone,
  validatePurpose,
  validatePins,
  validateServerUrls,
} from '../validation';
import { MachineCore } from './core';
import { checkInField, orNull, setupField } from './fields';
import type { Field, Greeting, Screen } from './state';

export abstract class VisitorMachine extends MachineCore {
  // ---------------------------------------------------------------- startup and setup

  /** Asks the Rust side for the kiosk's status and shows setup or welcome. */
  async init(): Promise<void> {
    this.go('loading');
    try {
      const status = await this.cmd.kioskStatus();
      this.applyStatus(status);
      this.go(status.enrolled ? 'welcome' : 'setup');
    } catch (e) {
      this.handleError(toCommandError(e), () => this.init());
    }
  }


  async enroll(): Promise<void> {
    if (this.s.busy) return;
    const { urls, pins, code } = this.s.setup;
    this.clearErrors();
    this.setErrors({ urls: validateServerUrls(urls), pins: validatePins(pins), code: validateEnrollmentCode(code) });
    if (this.hasErrors()) return;
    const serverUrls = lines(urls);
    const pinList = lines(pins);
    const enrollmentCode = normalizeCode(code);
    const send = async (): Promise<void> => {
      this.s.busy = true;
      try {
        const status = await this.cmd.enroll(serverUrls, pinList, enrollmentCode);
        this.applyStatus(status);
        if (status.enrolled) {
          this.s.setup = { urls: '', pins: '', code: '' };
          this.s.notice = null;
          this.go('welcome');
        } else {
          this.go('setup');
          this.s.formError = 'form.enroll_failed';
        }
      } catch (e) {
        const err = toCommandError(e);
        if (this.handleError(err, send)) return;
        this.go('setup');
        if (!this.applyFieldErrors(err, setupField)) {
          this.s.formError = err.kind === 'locked' ? 'form.locked' : 'form.enroll_failed';
        }
      } finally {
        this.s.busy = false;
      }
    };
    await send();
  }

  // ---------------------------------------------------------------- welcome

  setLang(lang: Lang): void {
    this.s.lang = lang;
  }

  /** An invited visitor or a pass holder: the code screen, ready for a scanner's keystrokes at once. */
  startInvite(): void {
    void this.refreshStatus();
    this.resetVisitor();
    this.s.invite = { code: '', kind: 'invite', greeting: null };
    this.s.notice = null;
    this.go('invite');
  }

  setInviteCode(raw: string): void {
    if (this.s.invite) this.s.invite.code = raw;
  }

  /**
   * Looks the code up (by its length, an invitation's or a pass's); on success greets the visitor
   * on the agreement screen, or first asks a pass holder not invited today whom they visit.
   */
  async submitInviteCode(): Promise<void> {
    const invite = this.s.invite;
    if (this.s.busy || !invite) return;
    this.clearErrors();
    this.setErrors({ 'invite-code': validateInviteCode(invite.code) });
    if (this.hasErrors()) return;
    const code = normalizeCode(invite.code);
    const kind = isPassCode(code) ? 'pass' : 'invite';
    invite.offline = false;
    const send = async (): Promise<void> => {
      const epoch = this.epoch;
      this.s.busy = true;
      try {
        const greeting: Greeting = kind === 'pass' ? await this.cmd.lookupPass(code) : await this.cmd.lookupInvite(code);
        if (epoch !== this.epoch || !this.s.invite) return;
        this.s.invite = { code, kind, greeting };
        this.s.error = null;
        this.retryAction = null;
        this.go(greeting.host_name === null ? 'host' : 'consent');
      } catch (e) {
        if (epoch !== this.epoch) return;
        this.inviteFailed(toCommandError(e), send);
      } finally {
        if (epoch === this.epoch) this.s.busy = false;
      }
    };
    await send();
  }

  /**
   * An invitation's code was refused: say so on the code screen (never why). No server to ask:
   * the code screen says invitations and passes cannot be checked now and offers the walk-in.
   */
  private inviteFailed(err: CommandError, retry: () => Promise<void>): void {
    if (err.kind === 'unreachable' && this.s.invite) {
      this.retryAction = null;
      this.s.error = null;
      this.s.host = null;
      this.s.invite.greeting = null;
      this.s.invite.offline = true;
      this.go('invite');
      return;
    }
    if (this.handleError(err, retry)) return;
    this.go('invite');
    if (this.s.invite) this.s.invite.greeting = null;
    if (err.kind === 'locked') this.s.formError = 'form.locked';
    else if (err.kind === 'not_found' || err.kind === 'validation') this.setErrors({ 'invite-code': 'field.invite_unknown' });
    else this.s.formError = 'form.rejected';
  }

  /** Checks the invited visitor or the pass holder in, once they agreed. */
  private async submitInvite(): Promise<void> {
    const invite = this.s.invite;
    if (!invite?.greeting) {
      this.go('invite');
      return;
    }
    const { code, kind, greeting } = invite;
    const host = greeting.host_name === null ? this.s.host : null;
    if (greeting.host_name === null && !host) {
      this.go('host');
      this.setErrors({ host: 'field.host_required' });
      return;
    }
    const send = async (): Promise<void> => {
      const epoch = this.epoch;
      this.s.busy = true;
      try {
        const res = kind === 'pass' ? await this.cmd.redeemPass(code, host?.id ?? null) : await this.cmd.redeemInvite(code);
        if (epoch !== this.epoch) return;
        this.s.invite = null;
        this.checkedIn(res, res.visitor_first_name ?? greeting.visitor_first_name, res.host_name ?? greeting.host_name ?? host?.display_name);
      } catch (e) {
        if (epoch !== this.epoch) return;
        this.inviteFailed(toCommandError(e), send);
      } finally {
        if (epoch === this.epoch) this.s.busy = false;
      }
    };
    await send();
  }

  startCheckOut(): void {
    this.s.checkout = { code: '', done: false };
    this.s.notice = null;
    this.clearErrors();
    this.go('checkout');
  }

  // ---------------------------------------------------------------- visitor flow

  /** Validates the visitor's details and moves on to the host search. */
  detailsNext(): void {
    const f = this.s.form;
    this.clearErrors();
    this.setErrors({
      name: validateName(f.name),
      email: validateEmail(f.email),
      company: validateCompany(f.company),
      phone: validatePhone(f.phone),
    });
    if (this.hasErrors()) return;
    this.go('host');
  }

  /** Sets the host search text; searches after a short pause in typing. */
  setHostQuery(q: string): void {
    this.s.hostQuery = q;
    this.s.hostSearchFailed = false;
    if (this.searchTimer !== null) this.timers.clearTimeout(this.searchTimer);
    this.searchTimer = null;
    const seq = ++this.searchSeq;
    const query = q.trim();
    if (query.length < this.minQuery) {
      this.s.hosts = [];
      this.s.hostSearching = false;
      return;
    }
    this.s.hostSearching = true;
    this.searchTimer = this.timers.setTimeout(() => {
      this.searchTimer = null;
      void this.runSearch(query, seq);
    }, this.debounceMs);
  }

  /** How many characters the host search needs before it asks (the tenant's rule; the server applies it too). */
  get minQuery(): number {
    return Math.max(1, this.s.status?.directory_min_chars ?? 1);
  }

  private async runSearch(query: string, seq: number): Promise<void> {
    const epoch = this.epoch;
    try {
      const hosts = await this.cmd.searchHosts(query);
      if (seq !== this.searchSeq || epoch !== this.epoch) return;
      this.s.hosts = hosts.map((h) => ({ id: h.id, display_name: h.display_name }));
    } catch (e) {
      if (seq !== this.searchSeq || epoch !== this.epoch) return;
      const err = toCommandError(e);
      if (err.kind === 'unreachable' || err.kind === 'internal' || err.kind === 'validation' || err.kind === 'locked') {
        this.s.hosts = [];
        this.s.hostSearchFailed = true;
      } else {
        this.handleError(err, null);
      }
    } finally {
      if (seq === this.searchSeq && epoch === this.epoch) this.s.hostSearching = false;
    }
  }

  pickHost(host: Host): void {
    this.s.host = { id: host.id, display_name: host.display_name };
    this.clearErrors();
    // A pass holder's details and purpose are not asked again: straight to the agreement.
    this.go(this.s.invite ? 'consent' : 'purpose');
  }

  purposeNext(): void {
    this.clearErrors();
    this.setErrors({ purpose: validatePurpose(this.s.form.purpose) });
    if (this.hasErrors()) return;
    if (!this.s.host) {
      this.go('host');
      this.setErrors({ host: 'field.host_required' });
      return;
    }
    this.go('consent');
  }

  /** The consent text to show: the tenant's, or the dictionary default (`null`). */
  get consentText(): string | null {
    const text = this.s.status?.consent_text?.[this.s.lang];
    return text && text.trim().length > 0 ? text : null;
  }

  /** Fetches the tenant's settings again (consent text, language) without disturbing the flow. */
  protected async refreshStatus(): Promise<void> {
    try {
      const status = await this.cmd.kioskStatus();
      if (status.enrolled) this.applyStatus(status);
    } catch {
      // The last known settings stay; the check-in itself reports any real problem.
    }
  }

  /** Builds the payload from the form (trimmed; optional fields empty → null). */
  private checkInRequest(): CheckInArgs | null {
    const f = this.s.form;
    if (!this.s.host) return null;
    return {
      visitor: { name: f.name.trim(), email: f.email.trim(), company: orNull(f.company), phone: orNull(f.phone) },
      host_id: this.s.host.id,
      purpose: orNull(f.purpose),
      want_pass: this.s.form.wantPass && this.s.status?.passes === true,
      visitor_type_id: null,
      answers: [],
      agreements: [],
      signature: null,
      photo: null,
      email_agreements: false,
    };
  }

  /** Checks the visitor in (via the override command when a receptionist is logged in). */
  async submitCheckIn(): Promise<void> {
    if (this.s.busy) return;
    this.clearErrors();
    if (!this.s.form.consent) {
      this.setErrors({ consent: 'field.consent_required' });
      return;
    }
    if (this.s.invite) {
      await this.submitInvite();
      return;
    }
    // Re-validate everything: the visitor may have come back through the screens.
    const f = this.s.form;
    const detailErrors = {
      name: validateName(f.name),
      email: validateEmail(f.email),
      company: validateCompany(f.company),
      phone: validatePhone(f.phone),
    };
    this.setErrors(detailErrors);
    if (this.hasErrors()) {
      this.go('details');
      return;
    }
    const req = this.checkInRequest();
    if (!req) {
      this.go('host');
      this.setErrors({ host: 'field.host_required' });
      return;
    }
    await this.sendCheckIn(req);
  }

  /** Sends a check-in; the same payload as the one still pending (a retry) keeps its place. */
  protected async sendCheckIn(req: CheckInArgs): Promise<void> {
    const same =
      this.pendingCheckIn && JSON.stringify(this.pendingCheckIn.req) === JSON.stringify(req) ? this.pendingCheckIn : null;
    if (!same) this.dropPending();
    this.pendingCheckIn = same ?? { req, override: this.s.override !== null };
    await this.sendPendingCheckIn();
  }

  /** Sends (or re-sends, on retry) the pending check-in with exactly the same payload. */
  private async sendPendingCheckIn(): Promise<void> {
    const pending = this.pendingCheckIn;
    if (!pending) return;
    const epoch = this.epoch;
    this.s.busy = true;
    try {
      const res = pending.override ? await this.cmd.overrideCheckIn(pending.req) : await this.cmd.checkIn(pending.req);
      if (epoch !== this.epoch) return;
      const name = pending.req.visitor.name;
      this.dropPending();
      this.checkedIn(res, name);
    } catch (e) {
      if (epoch !== this.epoch) return;
      const err = toCommandError(e);
      if (this.handleError(err, () => this.sendPendingCheckIn())) return;
      this.dropPending();
      this.checkInRejected(err);
    } finally {
      if (epoch === this.epoch) this.s.busy = false;
    }
  }

  /**
   * A check-in the server took: the form goes now (keeping only what the next screen shows),
   * then the badge (printed meanwhile), the wait for the host's approval, or (a visit the server
   * held) a neutral word to see reception.
   */
  protected checkedIn(res: CheckedIn, name: string, hostName?: string): void {
    this.dropForm();
    this.s.error = null;
    this.retryAction = null;
    if (res.status === 'held') {
      this.seeReception(res);
      return;
    }
    if (res.status === 'pending_approval' || res.badge_code === null) {
      this.awaitApproval(res, name);
      return;
    }
    // Offline: the code is provisional and no visit exists yet, so there is no badge to print.
    const offline = res.offline === true;
    this.s.confirmation = {
      name,
      badgeCode: res.badge_code,
      visitId: res.visit_id,
      hostNotification: res.host_notification,
      ...(hostName ? { hostName } : {}),
      ...(offline ? { offline } : {}),
      print: offline ? null : 'printing',
    };
    this.go('confirmation');
    if (!offline) void this.printConfirmation();
  }

  /**
   * Prints the confirmation's badge in the background: the confirmation is up already and never
   * waits for it, and the check-in stands whatever happens (a failure only says "see reception").
   * A late answer, once the visitor is gone, is dropped. A receptionist's check-in prints through
   * the override command.
   */
  protected async printConfirmation(): Promise<void> {
    const c = this.s.confirmation;
    if (!c) return;
    const epoch = this.epoch;
    const visitId = c.visitId;
    const override = this.s.override !== null;
    let state: PrintState | null;
    try {
      state = printState(override ? await this.cmd.overridePrintBadge(visitId) : await this.cmd.printBadge(visitId));
    } catch {
      state = 'unavailable';
    }
    const now = this.s.confirmation;
    if (epoch !== this.epoch || now?.visitId !== visitId) return;
    now.print = state;
  }

  /** A check-in the server refused: back to the screen of the field it names, or the last one. */
  protected checkInRejected(err: CommandError): void {
    if (err.kind === 'validation' && err.fields && Object.keys(err.fields).length > 0) {
      this.applyFieldErrors(err, checkInField);
      const order: Array<[Screen, Field[]]> = [
        ['details', ['name', 'email', 'company', 'phone']],
        ['host', ['host']],
        ['purpose', ['purpose']],
      ];
      const target = order.find(([, fields]) => fields.some((k) => this.s.errors[k]));
      this.go(target ? target[0] : 'consent');
      if (!target) this.s.formError = 'form.rejected';
    } else if (err.kind === 'not_found') {
      this.s.host = null;
      this.go('host');
      this.setErrors({ host: 'field.host_required' });
    } else {
      this.go('consent');
      this.s.formError = err.kind === 'locked' ? 'form.locked' : err.kind === 'conflict' ? 'form.conflict' : 'form.rejected';
    }
  }

  /**
   * What the confirmation says about the host: that they are being told only when the server
   * queued a notification for them; otherwise, to tell reception (never a promise not kept).
   */
  get confirmationNotice(): MessageKey | null {
    const c = this.s.confirmation;
    // Offline, the confirmation's own notice says when the host is told.
    if (!c || c.offline) return null;
    if (c.approved) return 'confirm.approved';
    return c.hostNotification === 'queued' ? 'confirm.notifying' : 'confirm.tell_reception';
  }

  /** Leaves the confirmation: wipes everything and returns to welcome (or the on-site list). */
  async confirmationDone(): Promise<void> {
    if (this.s.override) {
      await this.wipe(false);
      this.go('override-list');
      await this.loadVisits();
    } else {
      await this.wipe(true);
      this.go('welcome');
    }
  }


  // ---------------------------------------------------------------- check-out

  setCheckoutCode(raw: string): void {
    this.s.checkout.code = normalizeCode(raw);
  }

  async submitCheckOut(): Promise<void> {
    if (this.s.busy) return;
    this.clearErrors();
    const code = normalizeCode(this.s.checkout.code);
    this.s.checkout.code = code;
    this.setErrors({ 'checkout-code': validateBadgeCode(code) });
    if (this.hasErrors()) return;
    const send = async (): Promise<void> => {
      const epoch = this.epoch;
      this.s.busy = true;
      try {
        await this.cmd.checkOut(code);
        if (epoch !== this.epoch) return;
        this.s.checkout = { code: '', done: true };
        this.retryAction = null;
        this.s.error = null;
        this.go('checkout');
      } catch (e) {
        if (epoch !== this.epoch) return;
        const err = toCommandError(e);
        if (this.handleError(err, send)) return;
        this.go('checkout');
        if (err.kind === 'not_found') this.setErrors({ 'checkout-code': 'form.not_found_badge' });
        else if (err.kind === 'validation') this.setErrors({ 'checkout-code': 'field.badge_invalid' });
        else this.s.formError = err.kind === 'locked' ? 'form.locked' : err.kind === 'conflict' ? 'form.conflict' : 'form.rejected';
      } finally {
        if (epoch === this.epoch) this.s.busy = false;
      }
    };
    await send();
  }

  checkoutDone(): void {
    this.s.checkout = { code: '', done: false };
    this.go('welcome');
  }

  /** Reloads the receptionist's on-site list. */
  abstract loadVisits(): Promise<void>;
  /** Waits for the host's approval of a visit the server took without a badge. */
  protected abstract awaitApproval(res: CheckedIn, name: string): void;
  /** Sends the visitor of a visit the server held to reception, asking nothing. */
  protected abstract seeReception(res: CheckedIn): void;
}
