// The check-in of a visitor type, driven through the machine against a fake Tauri side: the
// choice of type (skipped with one), the details and questions the type asks (required ones
// enforced), the host (skippable only when the type allows), each agreement then the signature,
// the photo, the exact arguments sent, and nothing of the visitor kept once the check-in is sent
// or abandoned. The wait for the host's approval is `approval.test.ts`'s.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KioskVisitorType } from '../src/lib/commands';
import type { KioskMachine } from '../src/lib/machine';
import { emptyTyped } from '../src/lib/machine';
import { HOSTS, fake, reject, started } from './fake';

const CONTRACTOR: KioskVisitorType = {
  id: 't-contractor',
  names: { en: 'Contractor', fr: 'Prestataire' },
  icon: 'contractor',
  fields: { company: 'required', phone: 'off', purpose: 'optional' },
  questions: [
    { id: 'q-plate', kind: 'text', required: true, labels: { en: 'Vehicle plate' }, choices: [] },
    { id: 'q-area', kind: 'choice', required: true, labels: { en: 'Area' }, choices: [{ en: 'North' }, { en: 'South' }] },
    { id: 'q-trained', kind: 'yes_no', required: false, labels: { en: 'Safety training done?' }, choices: [] },
  ],
  agreements: [
    { document_id: 'd-safety', version: 3, texts: { fr: { title: 'Sécurité', body: 'Portez un casque.', sha256: 'aa' } } },
    { document_id: 'd-nda', version: 1, texts: { en: { title: 'NDA', body: 'Keep it secret.', sha256: 'bb' }, fr: { title: 'Confidentialité', body: 'Gardez le secret.', sha256: 'cc' } } },
  ],
  photo: true,
  host_required: true,
  approval: false,
};

const DELIVERY: KioskVisitorType = {
  id: 't-delivery',
  names: { en: 'Delivery' },
  icon: 'delivery',
  fields: { company: 'optional', phone: 'optional', purpose: 'off' },
  questions: [],
  agreements: [],
  photo: false,
  host_required: false,
  approval: false,
};

const PNG = 'iVBORw0KGgoAAAANSUhEUgAA';
const JPEG = '/9j/4AAQSkZJRgABAQAAAQAB';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function offering(...types: KioskVisitorType[]) {
  return fake({ visitor_types: () => types });
}

function details(m: KioskMachine, company = 'Acme Works') {
  m.s.form.name = 'Ada Lovelace';
  m.s.form.email = 'ada@example.com';
  m.s.form.company = company;
}

async function pickHost(m: KioskMachine) {
  m.setHostQuery('ali');
  await vi.advanceTimersByTimeAsync(200);
  m.pickHost(m.s.hosts[0]);
}

/** A contractor's check-in up to its signature. */
async function toSignature(m: KioskMachine) {
  await m.startCheckIn();
  details(m);
  m.detailsNext();
  m.setAnswer('q-plate', 'AB-123-CD');
  m.setAnswer('q-area', 1);
  await m.stepNext();
  await pickHost(m);
  await m.stepNext();
  await m.stepNext();
  expect(m.s.screen).toBe('signature');
}

describe('the choice of visitor type', () => {
  it('keeps the built-in flow when the site offers none', async () => {
    const f = offering();
    const m = await started(f);
    await m.startCheckIn();
    expect(f.of('visitor_types')).toEqual([{ cmd: 'visitor_types', args: undefined }]);
    expect(m.s.screen).toBe('details');
    expect(m.s.visitorType).toBeNull();
    expect(m.steps).toEqual([]);
  });

  it('is skipped when the site offers exactly one type', async () => {
    const f = offering(DELIVERY);
    const m = await started(f);
    await m.startCheckIn();
    expect(m.s.screen).toBe('details');
    expect(m.s.visitorType?.id).toBe('t-delivery');
    expect(m.steps.map((s) => s.screen)).toEqual(['details', 'host', 'consent']);
    await m.back();
    expect(m.s.screen).toBe('welcome');
    expect(m.s.visitorType).toBeNull();
    expect(f.of('wipe')).toHaveLength(1);
  });

  it('offers several types, in the visitor language, and comes back to the choice', async () => {
    const m = await started(offering(CONTRACTOR, DELIVERY));
    m.setLang('fr');
    await m.startCheckIn();
    expect(m.s.screen).toBe('type');
    expect(m.s.visitorTypes.map((t) => m.text(t.names))).toEqual(['Prestataire', 'Delivery']);
    m.chooseType('t-contractor');
    expect(m.s.screen).toBe('details');
    expect(m.steps.map((s) => s.screen)).toEqual(['type', 'details', 'questions', 'host', 'agreement', 'agreement', 'signature', 'photo']);
    m.s.form.name = 'Ada';
    await m.back();
    expect(m.s.screen).toBe('type');
    expect(m.s.form.name).toBe('Ada');
    await m.back();
    expect(m.s.screen).toBe('welcome');
    expect(m.s.form.name).toBe('');
  });

  it('shows the error screen when the types cannot be fetched, and retries', async () => {
    let n = 0;
    const f = fake({ visitor_types: () => (n++ === 0 ? Promise.reject({ kind: 'unreachable', message: 'down' }) : [DELIVERY]) });
    const m = await started(f);
    await m.startCheckIn();
    expect(m.s.error).toEqual({ kind: 'unreachable', canRetry: true });
    await m.retry();
    expect(m.s.screen).toBe('details');
    expect(m.s.visitorType?.id).toBe('t-delivery');
  });
});

describe("a visitor type's steps", () => {
  it('asks the standard fields as the type says', async () => {
    const m = await started(offering(CONTRACTOR));
    await m.startCheckIn();
    details(m, '');
    m.s.form.phone = 'not a phone'; // not asked: not checked
    m.s.form.purpose = 'x'.repeat(201);
    m.detailsNext();
    expect(m.s.errors).toEqual({ company: 'field.required', purpose: 'field.too_long_200' });
    m.s.form.company = 'Acme Works';
    m.s.form.purpose = '';
    m.detailsNext();
    expect(m.s.screen).toBe('questions');
  });

  it('enforces required questions and checks answers inline', async () => {
    const m = await started(offering(CONTRACTOR));
    await m.startCheckIn();
    details(m);
    m.detailsNext();
    await m.stepNext();
    expect(m.s.screen).toBe('questions');
    expect(m.s.errors).toEqual({ 'question-q-plate': 'field.answer_required', 'question-q-area': 'field.answer_required' });
    m.setAnswer('q-plate', '   ');
    m.setAnswer('q-area', 5);
    await m.stepNext();
    expect(m.s.errors).toEqual({ 'question-q-plate': 'field.answer_required', 'question-q-area': 'field.answer_required' });
    m.setAnswer('q-plate', 'x'.repeat(501));
    m.setAnswer('q-area', 0);
    expect(m.s.errors).toEqual({});
    await m.stepNext();
    expect(m.s.errors).toEqual({ 'question-q-plate': 'field.too_long_500' });
    m.setAnswer('q-plate', ' AB-123-CD ');
    await m.stepNext();
    expect(m.s.screen).toBe('host');
  });

  it('lets the visitor skip the host only when the type allows it', async () => {
    const required = await started(offering(CONTRACTOR));
    await required.startCheckIn();
    details(required);
    required.detailsNext();
    required.setAnswer('q-plate', 'AB');
    required.setAnswer('q-area', 0);
    await required.stepNext();
    expect(required.hostSkippable).toBe(false);
    required.skipHost();
    expect(required.s.screen).toBe('host');

    const f = offering(DELIVERY);
    const m = await started(f);
    await m.startCheckIn();
    details(m);
    m.detailsNext();
    expect(m.s.screen).toBe('host');
    expect(m.hostSkippable).toBe(true);
    m.skipHost();
    expect(m.s.screen).toBe('consent');
    expect(m.lastStep).toBe(true);
    await m.submitCheckIn();
    expect(m.s.errors).toEqual({ consent: 'field.consent_required' });
    m.s.form.consent = true;
    await m.submitCheckIn();
    expect(f.of('check_in')[0].args).toEqual({
      args: {
        visitor: { name: 'Ada Lovelace', email: 'ada@example.com', company: 'Acme Works', phone: null },
        host_id: null,
        purpose: null,
        want_pass: false,
        visitor_type_id: 't-delivery',
        answers: [],
        agreements: [],
        signature: null,
        photo: null,
        email_agreements: false,
      },
    });
    expect(m.s.screen).toBe('confirmation');
  });

  it('shows each agreement in a language it has, requires a signature, then the photo, and sends it all', async () => {
    const f = offering(CONTRACTOR);
    const m = await started(f);
    await m.startCheckIn();
    details(m);
    m.detailsNext();
    m.setAnswer('q-plate', ' AB-123-CD ');
    m.setAnswer('q-area', 1);
    m.setAnswer('q-trained', false);
    await m.stepNext();
    await pickHost(m);
    expect(m.s.screen).toBe('agreement');
    expect(m.agreement).toMatchObject({ index: 0, count: 2, lang: 'fr', text: { title: 'Sécurité' } });
    await m.stepNext();
    expect(m.agreement).toMatchObject({ index: 1, lang: 'en', text: { title: 'NDA' } });
    await m.stepNext();
    expect(m.s.screen).toBe('signature');
    expect(m.s.typed.shown).toEqual([
      { document_id: 'd-safety', version: 3, language: 'fr' },
      { document_id: 'd-nda', version: 1, language: 'en' },
    ]);

    await m.sign('');
    await m.stepNext();
    expect(m.s.screen).toBe('signature');
    expect(m.s.errors).toEqual({ signature: 'field.signature_required' });
    m.s.typed.emailAgreements = true;
    await m.sign(PNG);
    expect(m.s.screen).toBe('photo');
    await m.stepNext();
    expect(m.s.errors).toEqual({ photo: 'field.photo_required' });
    m.setPhoto(JPEG);
    expect(m.lastStep).toBe(true);
    await m.stepNext();

    expect(f.of('check_in')[0].args).toEqual({
      args: {
        visitor: { name: 'Ada Lovelace', email: 'ada@example.com', company: 'Acme Works', phone: null },
        host_id: HOSTS[0].id,
        purpose: null,
        want_pass: false,
        visitor_type_id: 't-contractor',
        answers: [
          { question_id: 'q-plate', value: 'AB-123-CD' },
          { question_id: 'q-area', value: 1 },
          { question_id: 'q-trained', value: false },
        ],
        agreements: [
          { document_id: 'd-safety', version: 3, language: 'fr' },
          { document_id: 'd-nda', version: 1, language: 'en' },
        ],
        signature: PNG,
        photo: JPEG,
        email_agreements: true,
      },
    });
    expect(m.s.screen).toBe('confirmation');
    expect(m.s.confirmation).toMatchObject({ name: 'Ada Lovelace', badgeCode: 'ABCD2345' });
    // Sent: nothing of the visitor stays but the name the confirmation greets.
    expect(m.s.typed).toEqual(emptyTyped());
    expect(m.s.visitorType).toBeNull();
    expect(m.s.form.email).toBe('');
    expect(m.s.host).toBeNull();
  });

  it('asks for the signature again when the visitor comes back to it', async () => {
    const m = await started(offering(CONTRACTOR));
    await toSignature(m);
    await m.sign(PNG);
    expect(m.s.screen).toBe('photo');
    await m.back();
    expect(m.s.screen).toBe('signature');
    expect(m.s.typed.signature).toBeNull();
    await m.back();
    expect(m.s.screen).toBe('agreement');
    expect(m.agreement?.index).toBe(1);
  });

  it('drops everything the visitor gave when they walk away', async () => {
    const f = offering(CONTRACTOR);
    const m = await started(f);
    await toSignature(m);
    await m.sign(PNG);
    m.setPhoto(JPEG);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(m.s.screen).toBe('welcome');
    expect(m.s.typed).toEqual(emptyTyped());
    expect(m.s.visitorType).toBeNull();
    expect(m.s.form.name).toBe('');
    expect(f.of('check_in')).toHaveLength(0);
    expect(f.of('wipe')).toHaveLength(1);
  });

  it("goes back to the question the server refused", async () => {
    const f = fake({ visitor_types: () => [CONTRACTOR], check_in: reject('validation', { 'question:q-plate': 'too long' }) });
    const m = await started(f);
    await toSignature(m);
    await m.sign(PNG);
    m.setPhoto(JPEG);
    await m.stepNext();
    expect(m.s.screen).toBe('questions');
    expect(m.s.errors).toEqual({ 'question-q-plate': 'field.server_rejected' });
    expect(m.s.typed.photo).toBe(JPEG);
  });
});
