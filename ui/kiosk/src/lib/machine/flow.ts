// The check-in of a visitor type, as pure rules: its steps in order, the language each of its
// texts is shown in, and what makes the visitor's details and answers valid. No state, no
// commands: `machine/typed.ts` drives the screens with these.

import type { AnswerInputValue, KioskQuestion, KioskVisitorType } from '../commands';
import type { Lang } from '../i18n';
import { validateCompany, validatePhone, validatePurpose, validateShortAnswer, type FieldError } from '../validation';
import type { Field, Screen, VisitorForm } from './state';

/** One step of a type's check-in: a screen, and for an agreement, which one. */
export interface Step {
  screen: Screen;
  agreement?: number;
}

/**
 * The steps of `type`'s check-in: the choice of type (when the site offers more than one), the
 * details, the questions, the host, each agreement then the signature (or the tenant's consent
 * when it has none), then the photo. The last step sends the check-in.
 */
export function typedSteps(type: KioskVisitorType, offered: number): Step[] {
  const steps: Step[] = [];
  if (offered > 1) steps.push({ screen: 'type' });
  steps.push({ screen: 'details' });
  if (type.questions.length > 0) steps.push({ screen: 'questions' });
  steps.push({ screen: 'host' });
  if (type.agreements.length > 0) {
    type.agreements.forEach((_, agreement) => steps.push({ screen: 'agreement', agreement }));
    steps.push({ screen: 'signature' });
  } else {
    steps.push({ screen: 'consent' });
  }
  if (type.photo) steps.push({ screen: 'photo' });
  return steps;
}

/** The screen that asks `field` in a type's check-in. */
export function typedScreenOf(field: Field): Screen | null {
  if (field === 'answers' || field.startsWith('question-')) return 'questions';
  switch (field) {
    case 'name':
    case 'email':
    case 'company':
    case 'phone':
    case 'purpose':
      return 'details';
    case 'host':
    case 'signature':
    case 'photo':
    case 'consent':
      return field;
    default:
      return null;
  }
}

/**
 * A text of several languages shown in `lang`, else in `fallback` (the tenant's), else in
 * whichever it has; with the language it is shown in.
 */
export function inLanguage<T>(texts: Partial<Record<Lang, T>>, lang: Lang, fallback: Lang): { lang: Lang; value: T } | null {
  for (const l of [lang, fallback, ...(Object.keys(texts) as Lang[])]) {
    const value = texts[l];
    if (value !== undefined) return { lang: l, value };
  }
  return null;
}

/** `inLanguage` for a label: the text alone, or empty. */
export function label(texts: Partial<Record<Lang, string>>, lang: Lang, fallback: Lang): string {
  return inLanguage(texts, lang, fallback)?.value ?? '';
}

/** The inline-error slot of a question. */
export function questionField(id: string): Field {
  return `question-${id}`;
}

/** Checks a standard field the type asks: blank is an error only when it is required. */
function byRule(rule: 'off' | 'optional' | 'required', raw: string, check: (raw: string) => FieldError): FieldError {
  if (rule === 'off') return null;
  if (rule === 'required' && raw.trim().length === 0) return 'field.required';
  return check(raw);
}

/** The errors of the standard fields beyond name and email, as `type` asks them. */
export function typedFieldErrors(type: KioskVisitorType, form: VisitorForm): Partial<Record<Field, FieldError>> {
  return {
    company: byRule(type.fields.company, form.company, validateCompany),
    phone: byRule(type.fields.phone, form.phone, validatePhone),
    purpose: byRule(type.fields.purpose, form.purpose, validatePurpose),
  };
}

/** Whether `value` answers `q` (a text, one of its choices, yes or no). */
function answers(q: KioskQuestion, value: AnswerInputValue | undefined): boolean {
  switch (q.kind) {
    case 'text':
      return typeof value === 'string' && value.trim().length > 0;
    case 'choice':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < q.choices.length;
    case 'yes_no':
      return typeof value === 'boolean';
  }
}

/** The errors of the answers: a required question unanswered, a text too long. */
export function answerErrors(questions: KioskQuestion[], given: Record<string, AnswerInputValue>): Partial<Record<Field, FieldError>> {
  const errors: Partial<Record<Field, FieldError>> = {};
  for (const q of questions) {
    const value = given[q.id];
    if (!answers(q, value)) {
      if (q.required) errors[questionField(q.id)] = 'field.answer_required';
    } else if (typeof value === 'string') {
      errors[questionField(q.id)] = validateShortAnswer(value);
    }
  }
  return errors;
}

/** The answers to send, in the questions' order: those given, text trimmed. */
export function answersToSend(questions: KioskQuestion[], given: Record<string, AnswerInputValue>): Array<{ question_id: string; value: AnswerInputValue }> {
  return questions
    .filter((q) => answers(q, given[q.id]))
    .map((q) => {
      const value = given[q.id];
      return { question_id: q.id, value: typeof value === 'string' ? value.trim() : value };
    });
}
