// Paths to screens.
import { describe, expect, it } from 'vitest';
import { routeOf } from '../src/lib/router.svelte';

describe('routes', () => {
  it('maps paths to screens', () => {
    expect(routeOf('/')).toBe('/');
    expect(routeOf('/visits')).toBe('/visits');
    expect(routeOf('/visits/')).toBe('/visits');
    expect(routeOf('/login')).toBe('/login');
    expect(routeOf('/nowhere')).toBe('/');
  });
});
