// The wire types the console reads (see shared/src/dto in the repository).

export type Role = 'admin' | 'receptionist' | 'host';
export interface Me {
  id: string;
  email: string;
  name: string;
  role: Role;
  has_pin: boolean;
  disabled: boolean;
  created_at: string;
  csrf_token: string;
}
export interface Site {
  id: string;
  name: string;
  timezone: string;
  arrival_instructions: string | null;
  auto_checkout_at: string | null;
}
export interface Host {
  id: string;
  name: string;
  email: string;
  site_id: string;
}
export interface Kiosk {
  id: string;
  site_id: string;
  name: string;
  enrolled_at: string | null;
  revoked_at: string | null;
  last_seen_at: string | null;
}
/** `POST /api/v1/kiosks` answers the kiosk and its one-time enrollment code. */
export interface KioskCreated extends Kiosk {
  enrollment_code: string;
  enrollment_expires_at: string;
}
export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  has_pin: boolean;
  disabled: boolean;
}
export interface Visit {
  id: string;
  site_id: string;
  host_id: string;
  host_name: string;
  visitor_name: string;
  visitor_email: string;
  visitor_company: string | null;
  visitor_phone: string | null;
  purpose: string | null;
  status: 'on_site' | 'checked_out';
  badge_code: string;
  checked_in_at: string;
  checked_out_at: string | null;
  checked_out_auto: boolean;
}
export interface VisitorPass {
  id: string;
  state: 'requested' | 'active' | 'revoked' | 'expired';
  visit_id: string;
  issued_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  uses: number;
  last_used_at: string | null;
}
export interface Page<T> {
  items: T[];
  total: number;
  /** More match than `total` (the visit log counts up to 10 000). */
  total_capped?: boolean;
  limit: number;
  offset: number;
  /** The cursor of the next page (keyset paging), absent on the last page. */
  next?: string;
}
export interface Stats {
  on_site: number;
  checked_in_today: number;
  checked_out_today: number;
  expected_today: number;
  per_day: { date: string; count: number }[];
  per_hour: { hour: number; count: number }[];
}
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
}
export interface InviteHost {
  id: string;
  name: string;
  site_id: string;
}
export interface Invite {
  id: string;
  /** Only in the answer that created it. */
  code?: string;
  site_id: string;
  host_id: string;
  host_name: string;
  visitor_name: string;
  visitor_email: string;
  visitor_company: string | null;
  note: string | null;
  expected_at: string;
  expires_at: string;
  state: 'expected' | 'checked_in' | 'cancelled' | 'expired';
  visit_id: string | null;
  created_at: string;
}
