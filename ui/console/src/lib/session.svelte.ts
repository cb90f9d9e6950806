// Who is signed in, the language shown, and the live feed's state.
import { api, ApiError, onUnauthorized, setCsrf } from './api';
import { i18n, type Lang } from './i18n';
import { allowed } from './roles';
import type { Me } from './types';

export const session = $state({
  me: null as Me | null,
  checked: false,
  lang: 'en' as Lang,
  live: 'reconnecting' as 'live' | 'reconnecting',
});

i18n.bindLanguage(() => session.lang);

// A session that expired or was ended elsewhere: back to the sign-in screen.
onUnauthorized(() => {
  setCsrf('');
  session.me = null;
});

export function browserLang(): Lang {
  return typeof navigator !== 'undefined' && navigator.language?.startsWith('fr') ? 'fr' : 'en';
}

export function setLang(lang: Lang): void {
  session.lang = lang;
  document.documentElement.lang = lang;
}

/** Reads who is signed in (null when nobody), and the tenant's language when the role may. */
export async function loadMe(): Promise<void> {
  try {
    const me = await api.get<Me>('/api/v1/auth/me');
    setCsrf(me.csrf_token);
    session.me = me;
    let lang = browserLang();
    // Only admins may read the settings (others get 403): they keep the browser's language.
    if (me.role === 'admin') {
      try {
        lang = (await api.get<{ language: Lang }>('/api/v1/settings')).language;
      } catch {
        // the browser's language will do
      }
    }
    setLang(lang);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    session.me = null;
    setLang(browserLang());
  } finally {
    session.checked = true;
  }
}

export async function signOut(): Promise<void> {
  await api.post('/api/v1/auth/logout');
  setCsrf('');
  session.me = null;
}

/** Whether the signed-in user may open a screen. */
export function mayOpen(route: string): boolean {
  return allowed(session.me?.role, route);
}
