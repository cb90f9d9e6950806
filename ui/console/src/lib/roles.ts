// Which screens each role may open (the server enforces the same on every route). Admins open
// everything; the rest (the watchlist among them) is theirs only.
import type { Role } from './types';

const DESK = ['/', '/visits', '/invites'];
/** The roll call is for staff at the desk (admins, receptionists), not hosts. */
const STAFF = [...DESK, '/evacuation', '/evacuation/:id'];

export function allowed(role: Role | undefined, route: string): boolean {
  if (role === 'admin') return true;
  if (role === 'receptionist') return STAFF.includes(route);
  if (role === 'host') return DESK.includes(route);
  return false;
}
