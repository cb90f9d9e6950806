// Deciding a visit from the console (Today and the visit log). One that waits for its host's
// approval: the visit's host or the desk approves it, or declines it once confirmed (the visit
// ends and the kiosk sends the visitor to reception). One held by the watchlist: the desk
// (admins, receptionists) admits it (on site, and the host is told now), or turns it away once
// confirmed (denied).
import { api, ApiError } from './api';
import { ask } from './confirm.svelte';
import { t } from './i18n';
import type { HoldReasons, Visit } from './types';

/** Approves or declines `v`; false when a decline was not confirmed (nothing sent). */
export async function decide(v: Visit, approve: boolean): Promise<boolean> {
  if (!approve && !(await ask(t('confirm.deny', { name: v.visitor_name })))) return false;
  await api.post(`/api/v1/visits/${v.id}/${approve ? 'approve' : 'deny'}`);
  return true;
}

/** Admits or turns away the held visit `v`; false when turning away was not confirmed (nothing sent). */
export async function settleHold(v: Visit, admit: boolean): Promise<boolean> {
  if (!admit && !(await ask(t('hold.confirm_deny', { name: v.visitor_name })))) return false;
  await api.post(`/api/v1/visits/${v.id}/${admit ? 'admit' : 'deny'}`);
  return true;
}

/** Why the held visit `id` is held, or null when it is held no more (the API answers 404). */
export async function holdReasons(id: string): Promise<string[] | null> {
  try {
    return (await api.get<HoldReasons>(`/api/v1/visits/${id}/hold`)).reasons;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}
