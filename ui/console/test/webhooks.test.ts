// Webhooks: the form as the API reads it, what the console checks before sending, the overlap of
// a rotated secret, the delivery log's pages, and a label for every event, kind and delivery
// state in both languages.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, blame, invalid } from '../src/lib/api';
import { dictionaries } from '../src/lib/i18n';
import { WEBHOOK_EVENTS, WEBHOOK_KINDS, type DeliveryStatus } from '../src/lib/types';
import {
  deliveriesPath,
  DELIVERIES_LIMIT,
  emptyWebhookForm,
  eventKey,
  kindKey,
  OVERLAP_DEFAULT,
  overlapOk,
  statusKey,
  webhookBody,
  webhookProblem,
  type WebhookForm,
} from '../src/lib/webhooks';

afterEach(() => vi.unstubAllGlobals());

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const form = (f: Partial<WebhookForm>): WebhookForm => ({ ...emptyWebhookForm(), events: ['visit.checked_in'], url: 'https://receiver.example/hook', ...f });

describe('webhook form', () => {
  it('starts as a standard webhook of no event, without visitor names or CA', () => {
    expect(emptyWebhookForm()).toEqual({ url: '', kind: 'standard', events: [], include_visitor: false, ca_pem: '' });
  });
  it('sends the URL trimmed and a blank CA as null', () => {
    expect(webhookBody(form({ url: '  https://receiver.example/hook?x=1 ', ca_pem: ' \n ' }))).toEqual({
      url: 'https://receiver.example/hook?x=1',
      kind: 'standard',
      events: ['visit.checked_in'],
      include_visitor: false,
      ca_pem: null,
    });
    const body = webhookBody(form({ kind: 'slack', events: ['visit.held', 'evacuation.started'], include_visitor: true, ca_pem: `\n${PEM}\n` }));
    expect(body).toMatchObject({ kind: 'slack', events: ['visit.held', 'evacuation.started'], include_visitor: true, ca_pem: PEM });
  });
  it('takes https:// URLs only, without user or fragment', () => {
    for (const url of ['https://receiver.example', 'https://receiver.example:8443/a/b?c=d', 'HTTPS://[::1]/hook', 'https://hooks.example.com/services/T0/B0/x'])
      expect(webhookProblem(form({ url }))).toBeNull();
    for (const url of ['', 'http://receiver.example/hook', 'https://', 'https://user@receiver.example/', 'https://receiver.example/#top', 'https://receiver.example/a b', 'ftp://x', `https://r.example/${'a'.repeat(2000)}`])
      expect(webhookProblem(form({ url }))).toEqual({ field: 'url', key: 'webhooks.url_rule' });
  });
  it('asks for at least one event, and a CA that is PEM certificates', () => {
    expect(webhookProblem(form({ events: [] }))).toEqual({ field: 'events', key: 'webhooks.need_event' });
    expect(webhookProblem(form({ ca_pem: 'not a certificate' }))).toEqual({ field: 'ca_pem', key: 'webhooks.ca_rule' });
    expect(webhookProblem(form({ ca_pem: PEM }))).toBeNull();
  });
  it('marks the input the problem is about', () => {
    const p = webhookProblem(form({ events: [] }));
    const err = invalid(p!.field, 'x');
    expect(blame(err, 'events', 'webhook-problem')).toEqual({ 'aria-invalid': 'true', 'aria-describedby': 'webhook-problem' });
    expect(blame(err, 'url', 'webhook-problem')).toEqual({});
  });
});

describe('secret rotation', () => {
  it('keeps the previous secret 24 hours by default, 0 to 168 whole hours', () => {
    expect(OVERLAP_DEFAULT).toBe(24);
    for (const h of [0, 1, 24, 168]) expect(overlapOk(h)).toBe(true);
    for (const h of [-1, 169, 1.5, Number.NaN, null, undefined]) expect(overlapOk(h)).toBe(false);
  });
});

describe('webhook requests', () => {
  it('reads the delivery log 20 at a time', () => {
    expect(DELIVERIES_LIMIT).toBe(20);
    expect(deliveriesPath('w1', 0)).toBe('/api/v1/webhooks/w1/deliveries?limit=20&offset=0');
    expect(deliveriesPath('w1', 40)).toBe('/api/v1/webhooks/w1/deliveries?limit=20&offset=40');
    expect(deliveriesPath('w1', -5)).toBe('/api/v1/webhooks/w1/deliveries?limit=20&offset=0');
  });
  it('sends a test event and a redelivery with an empty JSON body', async () => {
    const calls: [string, RequestInit][] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push([url, init]);
      return new Response('{}', { status: 202 });
    });
    await api.post('/api/v1/webhooks/w1/test', {});
    await api.post('/api/v1/webhooks/w1/deliveries/d1/redeliver', {});
    for (const [, init] of calls) {
      expect(init.method).toBe('POST');
      expect(init.body).toBe('{}');
      expect((init.headers as Record<string, string>)['content-type']).toBe('application/json');
    }
  });
});

describe('webhook labels', () => {
  it('names every event, the test event, kind and delivery state in both languages', () => {
    const keys = [
      ...[...WEBHOOK_EVENTS, 'webhook.test'].map((e) => eventKey(e)),
      ...WEBHOOK_KINDS.map(kindKey),
      ...(['pending', 'delivered', 'failed'] as DeliveryStatus[]).map(statusKey),
    ];
    for (const key of keys) {
      expect(key).not.toBeNull();
      expect(dictionaries.en[key!]).toBeTruthy();
      expect(dictionaries.fr[key!]).toBeTruthy();
    }
    expect(eventKey('visit.checked_in')).toBe('webhooks.event.visit_checked_in');
    expect(eventKey('something.else')).toBeNull();
  });
});
