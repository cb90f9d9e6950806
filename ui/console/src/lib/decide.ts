// Deciding a visit that waits for its host's approval, from the console (Today and the visit
// log): the visit's host or the desk approves it, or declines it once confirmed (the visit ends
// and the kiosk sends the visitor to reception).
import { api } from './api';
import { ask } from './confirm.svelte';
import { t } from './i18n';
import type { Visit } from './types';

/** Approves or declines `v`; false when a decline was not confirmed (nothing sent). */
export async function decide(v: Visit, approve: boolean): Promise<boolean> {
  if (!approve && !(await ask(t('confirm.deny', { name: v.visitor_name })))) return false;
  await api.post(`/api/v1/visits/${v.id}/${approve ? 'approve' : 'deny'}`);
  return true;
}
