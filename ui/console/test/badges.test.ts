// Badges and label printers: the printer URL's shape (the server's rule) and the templates a
// Brother QL takes, how a print from the server went, the logo file's checks and its reading as
// base64, images fetched as blobs, and errors found before sending.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, blame, invalid } from '../src/lib/api';
import { base64OfDataUrl, checkLogo, LOGO_MAX_BYTES, logoType, readBase64 } from '../src/lib/logo';
import { printerKind, printerProblem, TEMPLATES, templatesFor, tryPrint } from '../src/lib/printers';

afterEach(() => vi.unstubAllGlobals());

describe('printer URLs', () => {
  it('takes IPP queues and Brother QL sockets', () => {
    expect(printerKind('ipp://cups.example.com/printers/reception')).toBe('ipp');
    expect(printerKind('ipps://printer.local:631/ipp/print')).toBe('ipp');
    expect(printerKind(' IPP://10.0.0.7 ')).toBe('ipp');
    expect(printerKind('ipp://[fe80::1]:631/ipp')).toBe('ipp');
    expect(printerKind('ipp://[::1]/ipp')).toBe('ipp');
    expect(printerKind('socket://192.168.1.40:9100')).toBe('brother_ql');
    expect(printerKind('socket://ql-820.local')).toBe('brother_ql');
  });
  it('refuses anything else', () => {
    for (const bad of [
      '',
      'printer.local',
      'http://printer.local/ipp',
      'lpd://printer.local/queue',
      'socket://printer.local/raw',
      'socket://printer.local/',
      'ipp:///ipp/print',
      'ipp://printer.local:0/ipp',
      'ipp://printer.local:99999/ipp',
      'ipp://printer.local:/ipp',
      'ipp://printer.local:ipp/x',
      'ipp://user@printer.local/ipp',
      'ipp://printer.local/ipp?x=1',
      'ipp://printer local/ipp',
      'ipp://[fe80::1]x/ipp',
      'ipp://' + 'a'.repeat(254) + '/',
    ]) {
      expect(printerKind(bad), bad).toBeNull();
    }
  });
  it('lets a Brother QL print its 62 mm labels only', () => {
    expect(TEMPLATES).toEqual(['brother-62x100', 'dymo-30256', 'a6']);
    expect(templatesFor('ipp')).toEqual(TEMPLATES);
    expect(templatesFor(null)).toEqual(TEMPLATES);
    expect(templatesFor('brother_ql')).toEqual(['brother-62x100']);
  });
  it('names the field at fault', () => {
    expect(printerProblem({ url: 'ipp://p/ipp', template: 'a6' })).toBeNull();
    expect(printerProblem({ url: 'socket://p', template: 'brother-62x100' })).toBeNull();
    expect(printerProblem({ url: 'socket://p', template: 'dymo-30256' })).toEqual({ field: 'template', key: 'printers.brother_only' });
    expect(printerProblem({ url: 'http://p', template: 'a6' })).toEqual({ field: 'url', key: 'printers.url_rule' });
  });
});

describe('prints from the server', () => {
  it('names the printer that took the job, or says why none did', async () => {
    expect(await tryPrint(async () => ({ printed: true, printer_id: 'p1', printer_name: 'Front desk', problem: null }))).toEqual({ sent: true, printer: 'Front desk' });
    const off = { printed: false, printer_id: null, printer_name: null, problem: 'No printer took it.' };
    expect(await tryPrint(async () => off)).toEqual({ sent: false, message: 'No printer took it.' });
    const down = new ApiError(503, 'not_ready', 'no printer of the site took the badge');
    expect(await tryPrint(() => Promise.reject(down))).toEqual({ sent: false, message: 'no printer of the site took the badge' });
  });
});

describe('errors found before sending', () => {
  it('are shown and marked like the server would', () => {
    const e = invalid('url', 'The URL must be …');
    expect([e.status, e.code, e.message]).toEqual([422, 'invalid_input', 'The URL must be …']);
    expect(blame(e, 'url', 'p')).toEqual({ 'aria-invalid': 'true', 'aria-describedby': 'p' });
    expect(blame(e, 'name', 'p')).toEqual({});
  });
});

describe('logo files', () => {
  it('are PNG or SVG, by type or else by name', () => {
    expect(logoType({ name: 'a.png', type: 'image/png' })).toBe('image/png');
    expect(logoType({ name: 'logo', type: 'image/svg+xml' })).toBe('image/svg+xml');
    expect(logoType({ name: 'LOGO.SVG', type: '' })).toBe('image/svg+xml');
    expect(logoType({ name: 'logo.png', type: '' })).toBe('image/png');
    expect(logoType({ name: 'logo.png', type: 'image/jpeg' })).toBeNull();
    expect(logoType({ name: 'logo.gif', type: '' })).toBeNull();
  });
  it('are 1 byte to 256 KiB', () => {
    expect(LOGO_MAX_BYTES).toBe(262_144);
    expect(checkLogo({ name: 'l.png', type: 'image/png', size: LOGO_MAX_BYTES })).toEqual({ type: 'image/png' });
    expect(checkLogo({ name: 'l.png', type: 'image/png', size: LOGO_MAX_BYTES + 1 })).toEqual({ problem: 'badge.logo_size' });
    expect(checkLogo({ name: 'l.svg', type: '', size: 0 })).toEqual({ problem: 'badge.logo_size' });
    expect(checkLogo({ name: 'l.jpg', type: 'image/jpeg', size: 10 })).toEqual({ problem: 'badge.logo_type' });
  });
  it('are read as standard base64', async () => {
    expect(base64OfDataUrl('data:image/png;base64,iVBORw0KGgo=')).toBe('iVBORw0KGgo=');
    expect(base64OfDataUrl('data:;base64,')).toBe('');
    expect(base64OfDataUrl('data:text/plain,hello')).toBe('');
    expect(base64OfDataUrl('data:image/png;base64,a-b_')).toBe('');
    const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    // Node has no FileReader: one that makes data URLs as browsers do.
    class Reader {
      result: string | null = null;
      error: Error | null = null;
      onload: (() => void) | null = null;
      onerror: (() => void) | null = null;
      readAsDataURL(b: Blob) {
        void b.arrayBuffer().then((buf) => {
          this.result = `data:${b.type};base64,${base64(new Uint8Array(buf))}`;
          this.onload?.();
        });
      }
    }
    vi.stubGlobal('FileReader', Reader);
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"/>\u00e9';
    expect(await readBase64(new Blob([svg], { type: 'image/svg+xml' }))).toBe(base64(new TextEncoder().encode(svg)));
  });
});

describe('images as blobs', () => {
  it('are fetched with the cookie, never from a cache', async () => {
    const calls: [string, RequestInit][] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push([url, init]);
      return new Response(new Uint8Array([137, 80, 78, 71]), { status: 200, headers: { 'content-type': 'image/png' } });
    });
    const b = await api.blob('/api/v1/badges/preview.png?template=a6');
    expect(b.size).toBe(4);
    const [url, init] = calls[0];
    expect(url).toBe('/api/v1/badges/preview.png?template=a6');
    expect([init.method, init.credentials, init.cache]).toEqual(['GET', 'same-origin', 'no-store']);
    expect((init.headers as Record<string, string>)['x-csrf-token']).toBeUndefined();
  });
  it('throw the envelope of a missing one', async () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: { code: 'not_found', message: 'not found' } }), { status: 404 }));
    const e = await api.blob('/api/v1/settings/logo').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(404);
  });
});
