// The check-in of a visitor type: the choice of type when the visitor taps "check in" (none
// offered: the built-in flow; one: chosen for them), then the type's steps (`machine/flow.ts`):
// details as the type asks them, its questions, the host (skippable when the type allows), each
// agreement in full then the signature (or the tenant's consent), the photo. What the visitor
// gives stays in `s.typed` and `s.form`, in memory only, until the check-in is sent or abandoned.

import { toCommandError, type AgreementText, type AnswerInputValue, type CheckInArgs, type CommandError, type Host, type KioskVisitorType } from '../commands';
import type { Lang } from '../i18n';
import { validateEmail, validateName, type FieldError } from '../validation';
import { ApprovalMachine } from './approval';
import { checkInField, orNull } from './fields';
import { answerErrors, answersToSend, inLanguage, label, questionField, typedFieldErrors, typedScreenOf, typedSteps, type Step } from './flow';
import { emptyTyped, type Field } from './state';

export abstract class TypedMachine extends ApprovalMachine {
  /** The visitor taps "check in": the site's visitor types decide what comes next. */
  async startCheckIn(): Promise<void> {
    if (this.s.busy) return;
    void this.refreshStatus();
    this.resetVisitor();
    this.s.notice = null;
    const epoch = this.epoch;
    this.s.busy = true;
    let offered: KioskVisitorType[] = [];
    try {
      offered = await this.cmd.visitorTypes();
    } catch (e) {
      if (epoch !== this.epoch) return;
      const err = toCommandError(e);
      this.s.busy = false;
      if (this.handleError(err, () => this.startCheckIn())) return;
      // Any other refusal: the built-in check-in, which the server judges in turn.
    }
    if (epoch !== this.epoch) return;
    this.s.busy = false;
    this.s.error = null;
    this.retryAction = null;
    this.s.visitorTypes = offered;
    if (offered.length === 0) this.go('details');
    else if (offered.length === 1) this.chooseType(offered[0].id);
    else this.go('type');
  }

  /** Offline, an invitation or a pass cannot be checked: the walk-in check-in instead. */
  walkInInstead(): Promise<void> {
    return this.startCheckIn();
  }

  /** The visitor picks a type (the details already typed stay). */
  chooseType(id: string): void {
    const type = this.s.visitorTypes.find((t) => t.id === id);
    if (!type) return;
    this.s.visitorType = type;
    this.s.typed = emptyTyped();
    this.goStep(this.steps.findIndex((s) => s.screen === 'details'));
  }

  /** The chosen type's steps; none in the built-in flow. */
  get steps(): Step[] {
    const type = this.s.visitorType;
    return type ? typedSteps(type, this.s.visitorTypes.length) : [];
  }

  /** Whether the current step sends the check-in. */
  get lastStep(): boolean {
    return this.s.visitorType !== null && this.s.typed.step === this.steps.length - 1;
  }

  /** Whether the visitor may go on without choosing a host. */
  get hostSkippable(): boolean {
    return this.s.visitorType?.host_required === false && !this.s.invite;
  }

  /** The agreement of the current step, in the visitor's language or the closest one there is. */
  get agreement(): { index: number; count: number; lang: Lang; text: AgreementText } | null {
    const type = this.s.visitorType;
    const index = this.steps[this.s.typed.step]?.agreement;
    const doc = index === undefined ? undefined : type?.agreements[index];
    if (!type || index === undefined || !doc) return null;
    const shown = inLanguage(doc.texts, this.s.lang, this.defaultLang);
    return shown ? { index, count: type.agreements.length, lang: shown.lang, text: shown.value } : null;
  }

  /** A text of the type (a name, a question, a choice) in the visitor's language, or the closest. */
  text(texts: Partial<Record<Lang, string>>): string {
    return label(texts, this.s.lang, this.defaultLang);
  }

  // ---------------------------------------------------------------- the screens' actions

  detailsNext(): void {
    if (this.s.visitorType) void this.stepNext();
    else super.detailsNext();
  }

  pickHost(host: Host): void {
    if (!this.s.visitorType || this.s.invite) {
      super.pickHost(host);
      return;
    }
    this.s.host = { id: host.id, display_name: host.display_name };
    void this.stepNext();
  }

  /** Goes on without a host, when the type allows it. */
  skipHost(): void {
    if (!this.hostSkippable) return;
    this.s.host = null;
    void this.stepNext();
  }

  setAnswer(questionId: string, value: AnswerInputValue): void {
    this.s.typed.answers[questionId] = value;
    delete this.s.errors[questionField(questionId)];
  }

  /** The consent's button: in a type's flow, its step's "Next" (or the check-in, when last). */
  async submitCheckIn(): Promise<void> {
    if (this.s.visitorType && !this.s.invite) await this.stepNext();
    else await super.submitCheckIn();
  }

  /** The signature pad's "Sign": the PNG (base64, no `data:` prefix) drawn. */
  async sign(png: string): Promise<void> {
    if (png.length === 0) return;
    this.s.typed.signature = png;
    await this.stepNext();
  }

  clearSignature(): void {
    this.s.typed.signature = null;
  }

  /** "Take photo": the frame taken (JPEG, base64, no `data:` prefix), to keep or take again. */
  setPhoto(jpeg: string | null): void {
    this.s.typed.photo = jpeg;
    delete this.s.errors.photo;
  }

  // ---------------------------------------------------------------- steps

  protected goStep(step: number, keepErrors = false): void {
    const target = this.steps[step];
    if (!target) return;
    if (!keepErrors) this.clearErrors();
    this.s.typed.step = step;
    // A signature is always drawn anew on its pad.
    if (target.screen === 'signature') this.s.typed.signature = null;
    this.go(target.screen);
  }

  /** Checks the current step; goes to the next one, or sends the check-in after the last. */
  async stepNext(): Promise<void> {
    if (this.s.busy) return;
    const step = this.steps[this.s.typed.step];
    if (!step) return;
    this.clearErrors();
    if (step.agreement !== undefined) this.recordShown(step.agreement);
    this.setErrors(this.stepErrors(step));
    if (this.hasErrors()) return;
    if (this.lastStep) await this.submitTyped();
    else this.goStep(this.s.typed.step + 1);
  }

  /** Back one step; from the first, back to welcome (wiping). */
  async typedBack(): Promise<void> {
    if (this.s.typed.step <= 0 || this.s.screen === 'type') {
      await this.wipe(false);
      this.go('welcome');
      return;
    }
    this.goStep(this.s.typed.step - 1);
  }

  /** Notes the agreement shown: its version and the language it was shown in. */
  private recordShown(index: number): void {
    const shown = this.agreement;
    const doc = this.s.visitorType?.agreements[index];
    if (!shown || !doc) return;
    this.s.typed.shown[index] = { document_id: doc.document_id, version: doc.version, language: shown.lang };
  }

  private stepErrors(step: Step): Partial<Record<Field, FieldError>> {
    const type = this.s.visitorType;
    const { form, typed } = this.s;
    if (!type) return {};
    switch (step.screen) {
      case 'details':
        return { name: validateName(form.name), email: validateEmail(form.email), ...typedFieldErrors(type, form) };
      case 'questions':
        return answerErrors(type.questions, typed.answers);
      case 'host':
        return { host: type.host_required && !this.s.host ? 'field.host_required' : null };
      case 'signature':
        return { signature: typed.signature ? null : 'field.signature_required' };
      case 'consent':
        return { consent: form.consent ? null : 'field.consent_required' };
      case 'photo':
        return { photo: typed.photo ? null : 'field.photo_required' };
      default:
        return {};
    }
  }

  /** Checks every step again (the visitor may have come back through them), then sends. */
  private async submitTyped(): Promise<void> {
    const steps = this.steps;
    for (const [i, step] of steps.entries()) {
      const unread = step.agreement !== undefined && !this.s.typed.shown[step.agreement];
      const errors = this.stepErrors(step);
      if (unread || Object.values(errors).some((e) => e)) {
        this.goStep(i);
        this.setErrors(errors);
        return;
      }
    }
    await this.sendCheckIn(this.typedRequest());
  }

  private typedRequest(): CheckInArgs {
    const { form: f, typed: t } = this.s;
    const type = this.s.visitorType as KioskVisitorType;
    const asked = (rule: 'off' | 'optional' | 'required', value: string) => (rule === 'off' ? null : orNull(value));
    const signs = type.agreements.length > 0;
    return {
      visitor: {
        name: f.name.trim(),
        email: f.email.trim(),
        company: asked(type.fields.company, f.company),
        phone: asked(type.fields.phone, f.phone),
      },
      host_id: this.s.host?.id ?? null,
      purpose: asked(type.fields.purpose, f.purpose),
      want_pass: f.wantPass && this.s.status?.passes === true,
      visitor_type_id: type.id,
      answers: answersToSend(type.questions, t.answers),
      agreements: signs ? t.shown.map((a) => ({ ...a })) : [],
      signature: signs ? t.signature : null,
      photo: type.photo ? t.photo : null,
      email_agreements: signs && t.emailAgreements,
    };
  }

  /** The server refused a typed check-in: back to the step of the field it names, or the last. */
  protected checkInRejected(err: CommandError): void {
    if (!this.s.visitorType) {
      super.checkInRejected(err);
      return;
    }
    const last = this.steps.length - 1;
    if (err.kind === 'validation' && this.applyFieldErrors(err, checkInField)) {
      const fields = Object.keys(this.s.errors) as Field[];
      const step = this.steps.findIndex((s) => fields.some((f) => typedScreenOf(f) === s.screen));
      this.goStep(step >= 0 ? step : last, true);
      if (step < 0) this.s.formError = 'form.rejected';
    } else if (err.kind === 'not_found') {
      this.s.host = null;
      this.goStep(this.steps.findIndex((s) => s.screen === 'host'));
      this.setErrors({ host: 'field.host_required' });
    } else {
      this.goStep(last);
      this.s.formError = err.kind === 'locked' ? 'form.locked' : err.kind === 'conflict' ? 'form.conflict' : 'form.rejected';
    }
  }
}
