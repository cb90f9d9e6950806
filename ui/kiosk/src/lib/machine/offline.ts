// Check-ins made while no server answers, as the screens show them. The Rust side seals a
// walk-in's check-in when the server cannot be reached and sends it once it can; here: the status
// of what waits, asked now and every few seconds while a screen that shows it is up (the welcome
// screen's banner: the number only; the receptionist's list: first names and times too), quitting
// the kiosk from override mode (confirmed first when check-ins wait, as quitting loses them), and
// the dialog shown when the window's close was refused because check-ins wait.

import { toCommandError, type OfflineStatus } from '../commands';
import { EvacuationMachine } from './evacuation';
import type { MachineOptions } from './state';

/** How often the offline status is asked while a screen shows it. */
export const OFFLINE_POLL_MS = 3000;

export abstract class OfflineMachine extends EvacuationMachine {
  private readonly offlinePollMs: number;
  /** The screens showing the status now; the asking runs while there is one. */
  private offlineWatchers = 0;
  /** Bumped when the asking starts or stops: a loop that is no longer current ends. */
  private offlineLoop = 0;
  /** Bumped at each question: only the latest answer is kept. */
  private offlineSeq = 0;
  private offlineTimer: unknown = null;

  constructor(opts: MachineOptions) {
    super(opts);
    this.offlinePollMs = opts.offlinePollMs ?? OFFLINE_POLL_MS;
  }

  /**
   * A screen that shows the offline status appears: it is asked now and every few seconds until
   * every such screen has gone. Returns what the screen calls when it goes.
   */
  watchOffline(): () => void {
    this.offlineWatchers++;
    if (this.offlineWatchers === 1) void this.pollOffline(++this.offlineLoop);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.offlineWatchers--;
      if (this.offlineWatchers === 0) this.stopOfflinePoll();
    };
  }

  private async pollOffline(loop: number): Promise<void> {
    await this.refreshOffline();
    if (loop !== this.offlineLoop) return;
    this.offlineTimer = this.timers.setTimeout(() => {
      this.offlineTimer = null;
      void this.pollOffline(loop);
    }, this.offlinePollMs);
  }

  private stopOfflinePoll(): void {
    this.offlineLoop++;
    if (this.offlineTimer !== null) this.timers.clearTimeout(this.offlineTimer);
    this.offlineTimer = null;
  }

  /** Asks the offline status once; false when the question failed (the last answer stays). */
  async refreshOffline(): Promise<boolean> {
    const seq = ++this.offlineSeq;
    let status: OfflineStatus;
    try {
      status = await this.cmd.offlineStatus();
    } catch {
      return false;
    }
    if (seq !== this.offlineSeq) return false;
    this.s.offline = { ...status, visitors: status.visitors?.map((v) => ({ ...v })) ?? null };
    return true;
  }

  /** Forgets the status (with its first names) and any answer still on its way. */
  protected forgetOffline(): void {
    this.offlineSeq++;
    this.s.offline = null;
  }

  // ---------------------------------------------------------------- quitting

  /** The list's Quit: asked to confirm first when check-ins wait (quitting would lose them). */
  async askQuit(): Promise<void> {
    if (!this.s.override || this.s.quit?.state === 'quitting' || this.s.quit?.state === 'confirming') return;
    this.cancelEvacuation();
    await this.refreshOffline();
    if (!this.s.override) return;
    const waiting = this.s.offline?.waiting ?? 0;
    if (waiting > 0) this.s.quit = { state: 'confirming', waiting };
    else await this.sendQuit();
  }

  /** The confirmation's "quit anyway". */
  async confirmQuit(): Promise<void> {
    if (!this.s.override || this.s.quit?.state !== 'confirming') return;
    await this.sendQuit();
  }

  /** Drops the confirmation asked, if any (a refusal shown goes too). */
  cancelQuit(): void {
    if (this.s.quit?.state !== 'quitting') this.s.quit = null;
  }

  /** Quits the kiosk: the app ends; a refusal is said on the list. */
  private async sendQuit(): Promise<void> {
    this.s.quit = { state: 'quitting' };
    try {
      await this.cmd.quit();
    } catch (e) {
      const err = toCommandError(e);
      this.s.quit = null;
      if (err.kind === 'override_expired' || err.kind === 'revoked') {
        this.handleError(err, null);
        return;
      }
      this.s.quit = { state: 'failed' };
    }
  }

  /** The window's close was refused: `waiting` check-ins would have been lost (the dialog says so). */
  quitRefused(waiting: unknown): void {
    const n = typeof waiting === 'number' && Number.isFinite(waiting) ? Math.max(0, Math.floor(waiting)) : 0;
    this.s.quitRefused = n;
    this.activity();
  }

  dismissQuitRefused(): void {
    this.s.quitRefused = null;
  }

  protected async revoked(): Promise<void> {
    this.s.quit = null;
    this.forgetOffline();
    await super.revoked();
  }

  dispose(): void {
    super.dispose();
    this.offlineWatchers = 0;
    this.stopOfflinePoll();
  }
}
