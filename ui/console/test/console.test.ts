// The console's pure logic: the API client's headers and errors, routes, the filters' query
// string, the kiosk online rule, and that English and French have the same keys.
import { describe, expect, it } from 'vitest';
import { failure, headersFor, query, setCsrf } from '../src/lib/api';
import { kioskState, ONLINE_WITHIN_MS } from '../src/lib/format';
import { dictionaries } from '../src/lib/i18n';

describe('api', () => {
  it('sends the CSRF value on writes only', () => {
    setCsrf('abc');
    expect(headersFor('GET', undefined)['x-csrf-token']).toBeUndefined();
    expect(headersFor('POST', {})['x-csrf-token']).toBe('abc');
    expect(headersFor('DELETE', undefined)['x-csrf-token']).toBe('abc');
    expect(headersFor('POST', 'a,b', 'text/csv')['content-type']).toBe('text/csv');
  });
  it("reads the envelope's message", async () => {
    const res = new Response(JSON.stringify({ error: { code: 'invalid_input', message: 'name: too long' } }), { status: 422 });
    const e = await failure(res);
    expect([e.status, e.code, e.message]).toEqual([422, 'invalid_input', 'name: too long']);
  });
  it('keeps only set query values', () => {
    expect(query({ a: '', b: null, c: 'x y', d: 0 })).toBe('?c=x+y&d=0');
    expect(query({})).toBe('');
  });
});

describe('kiosks', () => {
  const k = { id: '1', site_id: 's', name: 'k', enrolled_at: null, revoked_at: null, last_seen_at: null as string | null };
  it('is online when seen within two minutes', () => {
    const now = Date.parse('2026-12-04T10:00:00Z');
    expect(kioskState({ ...k, last_seen_at: new Date(now - ONLINE_WITHIN_MS + 1000).toISOString() }, now)).toBe('online');
    expect(kioskState({ ...k, last_seen_at: new Date(now - ONLINE_WITHIN_MS - 1000).toISOString() }, now)).toBe('offline');
    expect(kioskState({ ...k, revoked_at: '2026-12-01T00:00:00Z' }, now)).toBe('revoked');
  });
});

describe('i18n', () => {
  it('has every key in both languages', () => {
    expect(Object.keys(dictionaries.fr).sort()).toEqual(Object.keys(dictionaries.en).sort());
    for (const v of Object.values(dictionaries.fr)) expect(v.length).toBeGreaterThan(0);
  });
});
