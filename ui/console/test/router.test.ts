// Paths to screens, and which screens each role may open.
import { describe, expect, it } from 'vitest';
import { LINK_TOKEN, paramOf, ROUTES, routeOf } from '../src/lib/router.svelte';
import { allowed } from '../src/lib/roles';

describe('routes', () => {
  it('maps every screen path to itself', () => {
    for (const r of ROUTES.filter((r) => !r.includes(':'))) expect(routeOf(r)).toBe(r);
  });
  it("opens a roll call by its id, and nothing else under /evacuation/", () => {
    const id = '0190a6b2-6a1b-7c3d-8e4f-123456789abc';
    expect(routeOf(`/evacuation/${id}`)).toBe('/evacuation/:id');
    expect(paramOf(`/evacuation/${id}/`)).toBe(id);
    expect(routeOf('/evacuation/:id')).toBe('/');
    expect(routeOf('/evacuation/nope')).toBe('/');
    expect(paramOf('/visits')).toBe('');
  });
  it('ignores a trailing slash and sends unknown paths to Today', () => {
    expect(routeOf('/visits/')).toBe('/visits');
    expect(routeOf('/sites//')).toBe('/sites');
    expect(routeOf('/login')).toBe('/login');
    expect(routeOf('/nowhere')).toBe('/');
    expect(routeOf('/sites/extra')).toBe('/');
    expect(routeOf('')).toBe('/');
  });
});

describe('emailed links', () => {
  it("accepts only a token's shape", () => {
    const id = '0190a6b2-6a1b-7c3d-8e4f-123456789abc';
    const secret = 'A'.repeat(42) + '_';
    expect(LINK_TOKEN.test(`${id}.${id}.${secret}`)).toBe(true);
    expect(LINK_TOKEN.test(`${id}.${id}.${secret}x`)).toBe(false);
    expect(LINK_TOKEN.test(`${id}.${secret}`)).toBe(false);
    expect(LINK_TOKEN.test(`${id}.${id}.${'A'.repeat(42)}=`)).toBe(false);
  });
});

describe('roles', () => {
  it('lets admins open everything', () => {
    for (const r of ROUTES) expect(allowed('admin', r)).toBe(true);
  });
  it('gives receptionists the desk screens and the roll call, hosts the desk screens only', () => {
    expect(ROUTES.filter((r) => allowed('receptionist', r))).toEqual(['/', '/visits', '/invites', '/evacuation', '/evacuation/:id']);
    expect(ROUTES.filter((r) => allowed('host', r))).toEqual(['/', '/visits', '/invites']);
    expect(allowed(undefined, '/')).toBe(false);
  });
  it('opens the watchlist to admins only', () => {
    expect(routeOf('/watchlist')).toBe('/watchlist');
    expect(routeOf('/watchlist/')).toBe('/watchlist');
    expect(allowed('admin', '/watchlist')).toBe(true);
    expect(allowed('receptionist', '/watchlist')).toBe(false);
    expect(allowed('host', '/watchlist')).toBe(false);
    expect(allowed(undefined, '/watchlist')).toBe(false);
  });
  it('opens API keys to admins only', () => {
    expect(routeOf('/api-keys')).toBe('/api-keys');
    expect(allowed('admin', '/api-keys')).toBe(true);
    expect(allowed('receptionist', '/api-keys')).toBe(false);
    expect(allowed('host', '/api-keys')).toBe(false);
  });
  it('opens webhooks to admins only', () => {
    expect(routeOf('/webhooks')).toBe('/webhooks');
    expect(routeOf('/webhooks/')).toBe('/webhooks');
    expect(allowed('admin', '/webhooks')).toBe(true);
    expect(allowed('receptionist', '/webhooks')).toBe(false);
    expect(allowed('host', '/webhooks')).toBe(false);
    expect(allowed(undefined, '/webhooks')).toBe(false);
  });
});
