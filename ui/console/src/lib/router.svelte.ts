// Client-side routes on the History API: the server answers index.html for every path, and
// in-app links are intercepted so a click changes the screen without a reload. The pages of
// emailed links (`/pass`, `/approval`) need no account and carry their token in the fragment.

export const ROUTES = [
  '/',
  '/visits',
  '/invites',
  '/hosts',
  '/sites',
  '/visitor-types',
  '/agreements',
  '/kiosks',
  '/printers',
  '/evacuation',
  '/evacuation/:id',
  '/users',
  '/settings',
  '/email',
  '/sso',
  '/watchlist',
  '/privacy',
  '/api-keys',
  '/webhooks',
  '/audit',
] as const;
export type Route = (typeof ROUTES)[number] | '/login';

/** The path of one roll call: `/evacuation/<id>` (the link the emergency contacts get). */
const ROLL_CALL = /^\/evacuation\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

function trim(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** The route a path shows (unknown paths show Today). */
export function routeOf(path: string): Route {
  const p = trim(path);
  if (p === '/login') return '/login';
  if (ROLL_CALL.test(p)) return '/evacuation/:id';
  return p !== '/evacuation/:id' && (ROUTES as readonly string[]).includes(p) ? (p as Route) : '/';
}

/** The id a path carries (the roll call's), '' when none. */
export function paramOf(path: string): string {
  return ROLL_CALL.exec(trim(path))?.[1] ?? '';
}

const start = typeof location === 'undefined' ? '/' : location.pathname;
export const router = $state({ route: routeOf(start), param: paramOf(start) });

function show(path: string): void {
  router.route = routeOf(path);
  router.param = paramOf(path);
}

export function navigate(path: string): void {
  if (location.pathname !== path) history.pushState({}, '', path);
  show(path);
}

/** Follows in-app links without a reload. */
export function interceptLinks(): void {
  window.addEventListener('popstate', () => show(location.pathname));
  document.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest?.('a[href^="/"]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    const href = a.getAttribute('href') ?? '/';
    if (href.startsWith('/api/') || a.hasAttribute('download')) return;
    e.preventDefault();
    navigate(href);
  });
}

/** The pages of emailed links, open to anyone. */
export const PUBLIC_PAGES = ['/pass', '/approval'] as const;

/** The shape of an emailed link's token: `<uuid>.<uuid>.<43 characters of base64url>`. */
export const LINK_TOKEN = /^[0-9a-f-]{36}\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/;

/**
 * The token of an emailed link (`/approval#<token>`), read once and taken out of the address bar
 * (the fragment never reaches a server; this keeps it out of the history too); '' when the
 * fragment is not one.
 */
export function takeLinkToken(): string {
  let token = '';
  try {
    token = decodeURIComponent(location.hash.slice(1));
  } catch {
    // a broken escape: not a token
  }
  history.replaceState(null, '', location.pathname);
  return LINK_TOKEN.test(token) ? token : '';
}
