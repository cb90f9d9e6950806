// The visit log's filters as the API reads them: the list's query string (with paging) and the
// CSV export link, which carries the same filters and no paging; the statuses each role may pick.
import { query } from './api';
import type { Role, VisitStatus } from './types';

/** The statuses the log filters by, in the order the filter offers them. */
export const STATUSES: readonly VisitStatus[] = ['on_site', 'pending_approval', 'held', 'checked_out', 'denied'];

/** The statuses a role may filter by: held visits are for the desk (admins, receptionists) only. */
export function statusesFor(role: Role | undefined): VisitStatus[] {
  return STATUSES.filter((s) => s !== 'held' || role === 'admin' || role === 'receptionist');
}

export interface VisitFilters {
  site_id: string;
  host_id: string;
  status: string;
  /** A day as `<input type=date>` gives it (YYYY-MM-DD), in the browser's time zone. */
  from: string;
  /** The last day included (YYYY-MM-DD). */
  to: string;
  email: string;
}

export const NO_FILTERS: VisitFilters = { site_id: '', host_id: '', status: '', from: '', to: '', email: '' };

/** The filters as query parameters: days become instants (start of `from`, end of `to`). */
export function filterParams(f: VisitFilters): Record<string, string> {
  return {
    site_id: f.site_id,
    host_id: f.host_id,
    status: f.status,
    from: f.from ? new Date(f.from + 'T00:00:00').toISOString() : '',
    to: f.to ? new Date(f.to + 'T23:59:59.999').toISOString() : '',
    email: f.email.trim(),
  };
}

/** `GET /api/v1/visits` for one page of the filtered log: the first, or the one after `cursor`. */
export function visitsUrl(f: VisitFilters, limit: number, cursor?: string): string {
  return '/api/v1/visits' + query({ ...filterParams(f), limit, after: cursor });
}

/** The CSV export of everything the filters select. */
export function exportUrl(f: VisitFilters): string {
  return '/api/v1/visits/export.csv' + query(filterParams(f));
}
