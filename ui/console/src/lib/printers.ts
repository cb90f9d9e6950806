// Label printers as the console checks them before sending: the URL's shape (the server's rule:
// `ipp://host[:port][/path]`, `ipps://…`, or `socket://host[:port]` for a Brother QL), the kind
// it makes, and the templates a printer of that kind prints; and how a print the server sends
// (a test print, a reprinted badge) went.
import type { MessageKey } from './i18n';
import type { BadgeTemplate, Printed, PrinterInput, PrinterKind } from './types';

export const TEMPLATES: readonly BadgeTemplate[] = ['brother-62x100', 'dymo-30256', 'a6'];

/** `host` and `port` of an authority (`[v6]:port` too), or null when the port is not 1 to 5 digits. */
function hostPort(authority: string): { host: string; port: number | null } | null {
  const colon = authority.startsWith('[')
    ? ((i) => (i > 0 && i + 1 < authority.length ? i + 1 : -1))(authority.indexOf(']'))
    : authority.lastIndexOf(':');
  if (colon < 0) return { host: authority, port: null };
  if (authority[colon] !== ':') return null;
  const port = authority.slice(colon + 1);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return null;
  return { host: authority.slice(0, colon), port: Number(port) };
}

/** The kind of printer `raw` reaches, or null when it is not a printer URL the server takes. */
export function printerKind(raw: string): PrinterKind | null {
  const url = raw.trim();
  const sep = url.indexOf('://');
  if (sep < 0 || url.length > 255) return null;
  const scheme = url.slice(0, sep).toLowerCase();
  const rest = url.slice(sep + 3);
  const slash = rest.indexOf('/');
  const [authority, path] = slash < 0 ? [rest, ''] : [rest.slice(0, slash), rest.slice(slash)];
  const okScheme = scheme === 'ipp' || scheme === 'ipps' || (scheme === 'socket' && path === '');
  const hp = hostPort(authority);
  if (!okScheme || !/^[A-Za-z0-9/._~-]*$/.test(path) || !hp || hp.port === 0) return null;
  const okHost =
    hp.host.length > 0 &&
    hp.host.length <= 253 &&
    (/^[A-Za-z0-9.-]+$/.test(hp.host) || /^\[[0-9A-Fa-f:]*\]$/.test(hp.host));
  if (!okHost) return null;
  return scheme === 'socket' ? 'brother_ql' : 'ipp';
}

/** The templates a printer of `kind` prints (a Brother QL: its 62 mm labels only). */
export function templatesFor(kind: PrinterKind | null): readonly BadgeTemplate[] {
  return kind === 'brother_ql' ? ['brother-62x100'] : TEMPLATES;
}

/** What is wrong with a printer's URL and template (the field and why), or null. */
export function printerProblem(p: Pick<PrinterInput, 'url' | 'template'>): { field: 'url' | 'template'; key: MessageKey } | null {
  const kind = printerKind(p.url);
  if (!kind) return { field: 'url', key: 'printers.url_rule' };
  if (!templatesFor(kind).includes(p.template)) return { field: 'template', key: 'printers.brother_only' };
  return null;
}

/** How a print from the server went: the printer that took it, or why none did. */
export type PrintResult = { sent: true; printer: string } | { sent: false; message: string };

export async function tryPrint(work: () => Promise<Printed>): Promise<PrintResult> {
  try {
    const r = await work();
    return r.printed && r.printer_name !== null
      ? { sent: true, printer: r.printer_name }
      : { sent: false, message: r.problem ?? '' };
  } catch (e) {
    return { sent: false, message: e instanceof Error ? e.message : String(e) };
  }
}
