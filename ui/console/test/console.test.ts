// The console's pure logic: the API client (CSRF on writes only, the error envelope, the field
// an error names), the visit filters' query string, export link and statuses per role, the
// watchlist's form and decisions on held visits, the kiosk online rule, the SAML group mappings
// and SCIM user types, and that English and French have the same keys.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, blame, failure, fieldOf, headersFor, onUnauthorized, query, setCsrf } from '../src/lib/api';
import { holdReasons, settleHold } from '../src/lib/decide';
import { pending, settle } from '../src/lib/confirm.svelte';
import { exportUrl, filterParams, NO_FILTERS, STATUSES, statusesFor, visitsUrl } from '../src/lib/filters';
import { kioskState, ONLINE_WITHIN_MS } from '../src/lib/format';
import { dictionaries } from '../src/lib/i18n';
import { formatGroupRoles, formatUserTypes, MAX_USER_TYPE_CHARS, MAX_USER_TYPES, parseGroupRoles, parseUserTypes } from '../src/lib/saml';
import type { Visit, WatchEntry } from '../src/lib/types';
import { emptyWatchForm, formOf, fromLocalInput, namesSomeone, toLocalInput, watchBody, whoOf } from '../src/lib/watchlist';

describe('api headers', () => {
  it('sends the CSRF value on writes only', () => {
    setCsrf('abc');
    expect(headersFor('GET', undefined)['x-csrf-token']).toBeUndefined();
    expect(headersFor('HEAD', undefined)['x-csrf-token']).toBeUndefined();
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(headersFor(m, {})['x-csrf-token']).toBe('abc');
    expect(headersFor('POST', {})['content-type']).toBe('application/json');
    expect(headersFor('GET', undefined)['content-type']).toBeUndefined();
    expect(headersFor('POST', 'a,b', 'text/csv')['content-type']).toBe('text/csv');
  });
});

describe('api requests', () => {
  afterEach(() => vi.unstubAllGlobals());
  function stub(res: () => Response) {
    const calls: [string, RequestInit][] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push([url, init]);
      return res();
    });
    return calls;
  }
  it('reads without the CSRF value, with the cookie', async () => {
    setCsrf('tok');
    const calls = stub(() => new Response('[]', { status: 200 }));
    expect(await api.get('/api/v1/sites')).toEqual([]);
    const [url, init] = calls[0];
    expect(url).toBe('/api/v1/sites');
    expect(init.method).toBe('GET');
    expect(init.credentials).toBe('same-origin');
    expect((init.headers as Record<string, string>)['x-csrf-token']).toBeUndefined();
    expect(init.body).toBeUndefined();
  });
  it('writes JSON with the CSRF value, and 204 is no body', async () => {
    setCsrf('tok');
    const calls = stub(() => new Response(null, { status: 204 }));
    expect(await api.post('/api/v1/sites', { name: 'HQ', timezone: 'UTC' })).toBeUndefined();
    const [, init] = calls[0];
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['x-csrf-token']).toBe('tok');
    expect(init.body).toBe('{"name":"HQ","timezone":"UTC"}');
    await api.del('/api/v1/sites/1');
    expect((calls[1][1].headers as Record<string, string>)['x-csrf-token']).toBe('tok');
  });
  it('reports an ended session, but not a failed sign-in', async () => {
    let ended = 0;
    onUnauthorized(() => ended++);
    stub(() => new Response(JSON.stringify({ error: { code: 'unauthenticated', message: 'sign in' } }), { status: 401 }));
    await api.get('/api/v1/sites').catch(() => null);
    expect(ended).toBe(1);
    await api.post('/api/v1/auth/login', {}).catch(() => null);
    await api.get('/api/v1/auth/me').catch(() => null);
    expect(ended).toBe(1);
  });
  it('sends a CSV file as text', async () => {
    const calls = stub(() => new Response('{"imported":1,"errors":[]}', { status: 201 }));
    expect(await api.csv('/api/v1/hosts/import', 'name,email,site_id\n')).toEqual({ imported: 1, errors: [] });
    expect(calls[0][1].body).toBe('name,email,site_id\n');
  });
  it('throws the envelope as an ApiError', async () => {
    stub(() => new Response(JSON.stringify({ error: { code: 'invalid_credentials', message: 'wrong email or password', request_id: 'r1' } }), { status: 401 }));
    const e = await api.post('/api/v1/auth/login', {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect([(e as ApiError).status, (e as ApiError).code, (e as ApiError).message]).toEqual([401, 'invalid_credentials', 'wrong email or password']);
  });
});

describe('api errors', () => {
  it("reads the envelope's message and details", async () => {
    const rows = [{ line: 3, column: 'email', message: 'must be an email address' }];
    const res = new Response(JSON.stringify({ error: { code: 'invalid_input', message: 'name: too long', details: rows } }), { status: 422 });
    const e = await failure(res);
    expect([e.status, e.code, e.message]).toEqual([422, 'invalid_input', 'name: too long']);
    expect(e.details).toEqual(rows);
  });
  it('keeps the status when the answer is not JSON', async () => {
    const e = await failure(new Response('<html>', { status: 502, statusText: 'Bad Gateway' }));
    expect([e.status, e.code, e.message]).toEqual([502, 'http_502', 'Bad Gateway']);
  });
  it('finds the field an error is about', () => {
    const err = (message: string, details?: unknown) => new ApiError(422, 'invalid_input', message, details);
    expect(fieldOf(err('name: must be 1 to 200 characters'))).toBe('name');
    expect(fieldOf(err('consent_text.fr: too long'))).toBe('consent_text.fr');
    expect(fieldOf(err('certificates[0]: not PEM'))).toBe('certificates[0]');
    expect(fieldOf(err('anything', { field: 'group_roles' }))).toBe('group_roles');
    expect(fieldOf(err('the body is not valid JSON (line 1, column 2)'))).toBeNull();
    expect(fieldOf(new Error('name: x'))).toBeNull();
    expect(blame(err('timezone: unknown'), 'timezone', 'p')).toEqual({ 'aria-invalid': 'true', 'aria-describedby': 'p' });
    expect(blame(err('timezone: unknown'), 'name', 'p')).toEqual({});
    expect(blame(err('certificates[0]: bad'), 'certificates', 'p')['aria-invalid']).toBe('true');
    expect(blame(null, 'name', 'p')).toEqual({});
    // An error about a whole field marks each of its parts; one about a part marks that part only.
    expect(blame(err('names: give the name in at least one language'), 'names.fr', 'p')['aria-invalid']).toBe('true');
    expect(blame(err('questions[1].choices: 2 to 10'), 'questions[1].choices[0].en', 'p')['aria-invalid']).toBe('true');
    expect(blame(err('questions[1].choices: 2 to 10'), 'questions[0].choices[0].en', 'p')).toEqual({});
    expect(blame(err('names.en: too long'), 'names.fr', 'p')).toEqual({});
    expect(blame(err('name: too long'), 'names', 'p')).toEqual({});
  });
});

describe('query strings', () => {
  it('keeps only set values', () => {
    expect(query({ a: '', b: null, c: 'x y', d: 0, e: undefined })).toBe('?c=x+y&d=0');
    expect(query({})).toBe('');
  });
  it('turns the visit filters into the API parameters', () => {
    const f = { ...NO_FILTERS, site_id: 's1', status: 'on_site', from: '2026-12-01', to: '2026-12-03', email: ' Ann@Example.com ' };
    const p = filterParams(f);
    expect(p.from).toBe(new Date('2026-12-01T00:00:00').toISOString());
    expect(p.to).toBe(new Date('2026-12-03T23:59:59.999').toISOString());
    expect(p.email).toBe('Ann@Example.com');
    const list = new URL(visitsUrl(f, 50, '1733290860123457_0123456789abcdef0123456789abcdef'), 'https://x.test');
    expect(list.pathname).toBe('/api/v1/visits');
    expect(Object.fromEntries(list.searchParams)).toEqual({
      site_id: 's1',
      status: 'on_site',
      from: p.from,
      to: p.to,
      email: 'Ann@Example.com',
      limit: '50',
      after: '1733290860123457_0123456789abcdef0123456789abcdef',
    });
  });
  it('exports the same filters without paging', () => {
    const f = { ...NO_FILTERS, host_id: 'h1', email: 'a+b@example.com' };
    expect(exportUrl(f)).toBe('/api/v1/visits/export.csv?host_id=h1&email=a%2Bb%40example.com');
    expect(exportUrl(NO_FILTERS)).toBe('/api/v1/visits/export.csv');
    expect(visitsUrl(NO_FILTERS, 50)).toBe('/api/v1/visits?limit=50');
  });
});

describe('visit statuses', () => {
  it('offers held visits to the desk only', () => {
    expect(STATUSES).toContain('held');
    expect(statusesFor('admin')).toEqual([...STATUSES]);
    expect(statusesFor('receptionist')).toEqual([...STATUSES]);
    expect(statusesFor('host')).toEqual(['on_site', 'pending_approval', 'checked_out', 'denied']);
    expect(statusesFor(undefined)).not.toContain('held');
  });
  it('has a label for every status in both languages', () => {
    for (const st of STATUSES) {
      expect(dictionaries.en[`status.${st}`]).toBeTruthy();
      expect(dictionaries.fr[`status.${st}`]).toBeTruthy();
    }
  });
});

describe('watchlist form', () => {
  const entry: WatchEntry = {
    id: 'w1',
    name: 'Vera Vetted',
    email: null,
    reason: 'Escort at all times',
    expires_at: null,
    created_at: '2026-12-01T09:00:00Z',
    active: true,
  };
  it('leaves blank values out when adding', () => {
    const f = { ...emptyWatchForm(), name: ' Vera Vetted ', reason: ' Escort ' };
    expect(namesSomeone(f)).toBe(true);
    expect(watchBody(f, false)).toEqual({ name: 'Vera Vetted', reason: 'Escort' });
    expect(namesSomeone({ ...f, name: '  ' })).toBe(false);
    expect(namesSomeone({ ...f, name: '', email: 'v@example.com' })).toBe(true);
  });
  it('sends blank values as null when editing (which clears them)', () => {
    const f = { ...formOf(entry), email: '', reason: 'Badge at the desk' };
    expect(watchBody(f, true)).toEqual({ name: 'Vera Vetted', email: null, reason: 'Badge at the desk', expires_at: null });
  });
  it('turns the local expiry into RFC 3339 and back', () => {
    const iso = fromLocalInput('2026-12-31T18:30');
    expect(iso).toBe(new Date(2026, 11, 31, 18, 30).toISOString());
    expect(toLocalInput(iso)).toBe('2026-12-31T18:30');
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('not a time')).toBeNull();
    expect(toLocalInput(null)).toBe('');
    const f = { ...emptyWatchForm(), email: 'v@example.com', reason: 'r', expires: '2026-12-31T18:30' };
    expect(watchBody(f, false)).toEqual({ email: 'v@example.com', reason: 'r', expires_at: iso });
    expect(formOf({ ...entry, expires_at: iso }).expires).toBe('2026-12-31T18:30');
  });
  it('names an entry by its name, else its email', () => {
    expect(whoOf(entry)).toBe('Vera Vetted');
    expect(whoOf({ ...entry, name: null, email: 'v@example.com' })).toBe('v@example.com');
  });
});

describe('held visits', () => {
  afterEach(() => vi.unstubAllGlobals());
  const visit = { id: 'v1', visitor_name: 'Vera Vetted' } as Visit;
  function stub(res: (url: string) => Response) {
    const calls: [string, string][] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push([init.method ?? 'GET', url]);
      return res(url);
    });
    return calls;
  }
  it('reads why a visit is held, and null once it is not', async () => {
    stub((url) => (url.endsWith('/v1/hold') ? new Response('{"reasons":["Escort at all times"]}') : new Response('{"error":{"code":"not_found","message":"no"}}', { status: 404 })));
    expect(await holdReasons('v1')).toEqual(['Escort at all times']);
    expect(await holdReasons('v2')).toBeNull();
  });
  it('admits at once, and turns away only once confirmed', async () => {
    const calls = stub(() => new Response(null, { status: 204 }));
    expect(await settleHold(visit, true)).toBe(true);
    expect(calls).toEqual([['POST', '/api/v1/visits/v1/admit']]);
    const no = settleHold(visit, false);
    expect(pending.open).toBe(true);
    expect(pending.message).toContain('Vera Vetted');
    settle(false);
    expect(await no).toBe(false);
    expect(calls).toHaveLength(1);
    const yes = settleHold(visit, false);
    settle(true);
    expect(await yes).toBe(true);
    expect(calls[1]).toEqual(['POST', '/api/v1/visits/v1/deny']);
  });
});

describe('kiosks', () => {
  const k = { id: '1', site_id: 's', name: 'k', enrolled_at: null, revoked_at: null, last_seen_at: null as string | null };
  const now = Date.parse('2026-12-04T10:00:00Z');
  it('is online when seen within two minutes', () => {
    expect(ONLINE_WITHIN_MS).toBe(120_000);
    expect(kioskState({ ...k, last_seen_at: new Date(now - ONLINE_WITHIN_MS + 1000).toISOString() }, now)).toBe('online');
    expect(kioskState({ ...k, last_seen_at: new Date(now - ONLINE_WITHIN_MS).toISOString() }, now)).toBe('online');
    expect(kioskState({ ...k, last_seen_at: new Date(now - ONLINE_WITHIN_MS - 1000).toISOString() }, now)).toBe('offline');
  });
  it('is offline when never seen, and revoked before anything else', () => {
    expect(kioskState(k, now)).toBe('offline');
    expect(kioskState({ ...k, last_seen_at: new Date(now).toISOString(), revoked_at: '2026-12-01T00:00:00Z' }, now)).toBe('revoked');
  });
});

describe('saml group mappings', () => {
  it('reads "group = role" lines and writes them back', () => {
    const r = parseGroupRoles('staff = receptionist\n\n it-admins=ADMIN \n');
    expect(r).toEqual({ ok: { staff: 'receptionist', 'it-admins': 'admin' } });
    if ('ok' in r) expect(parseGroupRoles(formatGroupRoles(r.ok))).toEqual(r);
  });
  it('names the first bad line', () => {
    expect(parseGroupRoles('a = host\nb = boss')).toEqual({ badLine: 2 });
    expect(parseGroupRoles('= host')).toEqual({ badLine: 1 });
  });
});

describe('saml scim user types', () => {
  it('reads comma-separated values: trimmed, empties dropped, duplicates dropped whatever their case', () => {
    expect(parseUserTypes(' Employee ,, contractor,employee, CONTRACTOR ,')).toEqual({ ok: ['Employee', 'contractor'] });
  });
  it('is an empty list when nothing is typed', () => {
    expect(parseUserTypes('')).toEqual({ ok: [] });
    expect(parseUserTypes(' , ,')).toEqual({ ok: [] });
    expect(formatUserTypes([])).toBe('');
  });
  it('writes them back as it reads them', () => {
    const types = ['Employee', 'Full Time', 'Staff'];
    expect(formatUserTypes(types)).toBe('Employee, Full Time, Staff');
    expect(parseUserTypes(formatUserTypes(types))).toEqual({ ok: types });
  });
  it('takes at most 20 values, counting duplicates once', () => {
    const twenty = Array.from({ length: MAX_USER_TYPES }, (_, i) => `t${i}`);
    expect(parseUserTypes(twenty.join(','))).toEqual({ ok: twenty });
    expect(parseUserTypes([...twenty, 'T0', 't19'].join(','))).toEqual({ ok: twenty });
    expect(parseUserTypes([...twenty, 'one-more'].join(','))).toEqual({ problem: { tooMany: 21 } });
  });
  it('takes values of at most 64 characters, counted as the server counts them', () => {
    const max = 'x'.repeat(MAX_USER_TYPE_CHARS);
    expect(parseUserTypes(`a, ${max} `)).toEqual({ ok: ['a', max] });
    expect(parseUserTypes(`a, ${max}x`)).toEqual({ problem: { tooLong: 2 } });
    // 64 characters outside the BMP: 128 UTF-16 code units, still 64 characters.
    const emoji = '\u{1F600}'.repeat(MAX_USER_TYPE_CHARS);
    expect(parseUserTypes(emoji)).toEqual({ ok: [emoji] });
    expect(parseUserTypes(emoji + 'é')).toEqual({ problem: { tooLong: 1 } });
  });
  it('refuses control characters inside a value, after trimming', () => {
    expect(parseUserTypes('\temployee\n')).toEqual({ ok: ['employee'] });
    expect(parseUserTypes('ok, full\ttime')).toEqual({ problem: { control: 2 } });
    expect(parseUserTypes('a\u0000b')).toEqual({ problem: { control: 1 } });
    expect(parseUserTypes('a\u007fb')).toEqual({ problem: { control: 1 } });
    expect(parseUserTypes('a\u009fb')).toEqual({ problem: { control: 1 } });
    expect(parseUserTypes('Employé, 社員')).toEqual({ ok: ['Employé', '社員'] });
  });
});

describe('i18n', () => {
  it('has every key in both languages, none empty', () => {
    expect(Object.keys(dictionaries.fr).sort()).toEqual(Object.keys(dictionaries.en).sort());
    for (const v of [...Object.values(dictionaries.fr), ...Object.values(dictionaries.en)]) expect(v.trim().length).toBeGreaterThan(0);
  });
  it('uses the same placeholders in both languages', () => {
    const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [k, v] of Object.entries(dictionaries.en)) expect(holes(dictionaries.fr[k as keyof typeof dictionaries.en]), k).toEqual(holes(v));
  });
});
