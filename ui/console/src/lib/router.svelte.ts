// Client-side routes on the History API: the server answers index.html for every path, and
// in-app links are intercepted so a click changes the screen without a reload.

export const ROUTES = ['/', '/visits', '/invites', '/hosts', '/sites', '/kiosks', '/users', '/settings', '/email', '/sso', '/audit'] as const;
export type Route = (typeof ROUTES)[number] | '/login';

/** The route a path shows (unknown paths show Today). */
export function routeOf(path: string): Route {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (p === '/login') return '/login';
  return (ROUTES as readonly string[]).includes(p) ? (p as Route) : '/';
}

export const router = $state({ route: routeOf(typeof location === 'undefined' ? '/' : location.pathname) });

export function navigate(path: string): void {
  if (location.pathname !== path) history.pushState({}, '', path);
  router.route = routeOf(path);
}

/** Follows in-app links without a reload. */
export function interceptLinks(): void {
  window.addEventListener('popstate', () => (router.route = routeOf(location.pathname)));
  document.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest?.('a[href^="/"]');
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    const href = a.getAttribute('href') ?? '/';
    if (href.startsWith('/api/') || a.hasAttribute('download')) return;
    e.preventDefault();
    navigate(href);
  });
}
