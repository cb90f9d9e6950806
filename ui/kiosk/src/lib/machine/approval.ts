// A visit that waits for its host's approval (a visitor type that asks for it): the server takes
// the check-in without a badge, and the waiting screen asks where the visit stands every few
// seconds until the host approves (then the badge, as any confirmation shows and prints it) or
// denies, or until the kiosk has waited long enough (then the visitor sees reception). Nothing of
// the form is kept meanwhile: only the visit's id and the name the confirmation greets.
// A visit the server held at check-in (`held`: staff must see the visitor first) shares the
// screen: no asking at all, only a neutral word to see reception (never why), and back to
// welcome after the confirmation's delay.

import { toCommandError, type CheckedIn } from '../commands';
import type { Waiting } from './state';
import { VisitorMachine } from './visitor';

export abstract class ApprovalMachine extends VisitorMachine {
  /** When the kiosk stops asking (`Date.now()` time). */
  private approvalDeadline = 0;

  protected awaitApproval(res: CheckedIn, name: string): void {
    this.stopPolling();
    this.s.waiting = { visitId: res.visit_id, name, hostNotification: res.host_notification, outcome: 'waiting' };
    this.approvalDeadline = Date.now() + this.approvalWaitMs;
    this.go('waiting');
    this.schedulePoll();
  }

  protected seeReception(res: CheckedIn): void {
    this.stopPolling();
    this.s.waiting = { visitId: res.visit_id, name: '', hostNotification: res.host_notification, outcome: 'reception' };
    this.go('waiting');
  }

  private schedulePoll(): void {
    this.pollTimer = this.timers.setTimeout(() => {
      this.pollTimer = null;
      void this.pollApproval();
    }, this.approvalPollMs);
  }

  private async pollApproval(): Promise<void> {
    const visitId = this.s.waiting?.visitId;
    if (!visitId || this.s.waiting?.outcome !== 'waiting') return;
    const epoch = this.epoch;
    try {
      const state = await this.cmd.visitState(visitId);
      const w = this.s.waiting;
      if (epoch !== this.epoch || w?.visitId !== visitId) return;
      if (state.status === 'on_site' && state.badge_code) {
        this.s.confirmation = {
          name: w.name,
          badgeCode: state.badge_code,
          visitId,
          hostNotification: w.hostNotification,
          approved: true,
          print: 'printing',
        };
        this.s.waiting = null;
        this.go('confirmation');
        void this.printConfirmation();
        return;
      }
      if (state.status !== 'pending_approval') {
        this.endWait(state.status === 'held' ? 'reception' : 'denied');
        return;
      }
    } catch (e) {
      if (epoch !== this.epoch) return;
      const err = toCommandError(e);
      if (err.kind === 'revoked' || err.kind === 'pin_mismatch' || err.kind === 'keychain') {
        this.handleError(err, null);
        return;
      }
      // Anything else (the server out of reach, say): ask again until the wait is over.
    }
    if (Date.now() >= this.approvalDeadline) this.endWait('gave_up');
    else this.schedulePoll();
  }

  /** Stops waiting: the screen says to see reception, and goes back to welcome by itself. */
  private endWait(outcome: Waiting['outcome']): void {
    if (this.s.waiting) this.s.waiting.outcome = outcome;
    this.go('waiting');
  }
}
