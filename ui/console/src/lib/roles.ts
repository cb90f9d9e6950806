// Which screens each role may open (the server enforces the same on every route).
import type { Role } from './types';

const DESK = ['/', '/visits', '/invites'];

export function allowed(role: Role | undefined, route: string): boolean {
  if (role === 'admin') return true;
  if (role === 'receptionist' || role === 'host') return DESK.includes(route);
  return false;
}
