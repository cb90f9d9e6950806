// Paths to screens, and which screens each role may open.
import { describe, expect, it } from 'vitest';
import { LINK_TOKEN, ROUTES, routeOf } from '../src/lib/router.svelte';
import { allowed } from '../src/lib/roles';

describe('routes', () => {
  it('maps every screen path to itself', () => {
    for (const r of ROUTES) expect(routeOf(r)).toBe(r);
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
  it('gives receptionists and hosts the desk screens only', () => {
    for (const role of ['receptionist', 'host'] as const) {
      expect(ROUTES.filter((r) => allowed(role, r))).toEqual(['/', '/visits', '/invites']);
    }
    expect(allowed(undefined, '/')).toBe(false);
  });
});
