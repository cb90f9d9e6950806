// The receptionist starts an evacuation from the list (override mode): a tap asks for confirmation
// in place, a second one sends the command, and the list's status line says how it went. In the
// background: the list stays usable meanwhile. An answer once the session ended (or the start was
// superseded) is dropped; an expired session or a revoked kiosk is handled as anywhere else, any
// other failure is said on the line. Only the outcome is kept, in memory, until the session ends.

import { toCommandError } from '../commands';
import { evacuationFailure, type Evacuation } from '../evacuation';
import { TypedMachine } from './typed';

export abstract class EvacuationMachine extends TypedMachine {
  /** Bumped at each start: the answer to an earlier one is dropped. */
  private evacuationSeq = 0;

  /** The red button: asks for confirmation in place (not while a start is under way). */
  askEvacuation(): void {
    if (!this.s.override || this.s.evacuation?.state === 'starting') return;
    this.s.evacuation = { state: 'confirming' };
  }

  /** Drops the confirmation asked, if any (an outcome already shown stays). */
  cancelEvacuation(): void {
    if (this.s.evacuation?.state === 'confirming') this.s.evacuation = null;
  }

  /** The confirmation's "yes": starts the evacuation of the kiosk's site. */
  async startEvacuation(): Promise<void> {
    if (!this.s.override || this.s.evacuation?.state !== 'confirming') return;
    const seq = ++this.evacuationSeq;
    this.s.evacuation = { state: 'starting' };
    let outcome: Evacuation;
    try {
      const started = await this.cmd.overrideStartEvacuation();
      outcome = { state: 'started', total: started.total };
    } catch (e) {
      if (!this.evacuationCurrent(seq)) return;
      const err = toCommandError(e);
      if (err.kind === 'override_expired' || err.kind === 'revoked') {
        this.handleError(err, null);
        return;
      }
      outcome = { state: 'failed', reason: evacuationFailure(err) };
    }
    if (!this.evacuationCurrent(seq)) return;
    this.s.evacuation = outcome;
  }

  /** True while start `seq` is still the one under way, in a session still open. */
  private evacuationCurrent(seq: number): boolean {
    return seq === this.evacuationSeq && this.s.override !== null && this.s.evacuation?.state === 'starting';
  }
}
