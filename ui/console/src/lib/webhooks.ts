// Webhooks as the console sends and shows them: the form as `POST /api/v1/webhooks` reads it
// (the URL trimmed, a blank private CA as null), what the console checks before sending (an
// https:// URL, at least one event, a CA that is PEM certificates), the overlap of a rotated
// secret (0 to 168 hours, 24 by default), and the labels of events and delivery states.
import { i18n, type MessageKey } from './i18n';
import type { DeliveryStatus, WebhookEvent, WebhookInput, WebhookKind } from './types';

export interface WebhookForm {
  url: string;
  kind: WebhookKind;
  events: WebhookEvent[];
  include_visitor: boolean;
  /** The private CA's PEM, '' for none. */
  ca_pem: string;
}

export function emptyWebhookForm(): WebhookForm {
  return { url: '', kind: 'standard', events: [], include_visitor: false, ca_pem: '' };
}

/** The request body of the form. */
export function webhookBody(f: WebhookForm): WebhookInput {
  const ca = f.ca_pem.trim();
  return { url: f.url.trim(), kind: f.kind, events: [...f.events], include_visitor: f.include_visitor, ca_pem: ca || null };
}

/** The server's limit on a webhook URL. */
export const URL_MAX = 2000;
/** `https://host[:port][/path][?query]`: no user information, fragment or spaces (the server decides the rest). */
const HTTPS_URL = /^https:\/\/[^\s/?#@]+([/?][^\s#]*)?$/i;

/** The server's limit on a private CA's PEM (64 KiB). */
export const CA_MAX = 64 * 1024;

/** What is wrong with the form before sending (the field and why), or null. */
export function webhookProblem(f: WebhookForm): { field: 'url' | 'events' | 'ca_pem'; key: MessageKey } | null {
  const url = f.url.trim();
  if (url.length > URL_MAX || !HTTPS_URL.test(url)) return { field: 'url', key: 'webhooks.url_rule' };
  if (f.events.length === 0) return { field: 'events', key: 'webhooks.need_event' };
  const ca = f.ca_pem.trim();
  if (ca && (ca.length > CA_MAX || !ca.includes('-----BEGIN CERTIFICATE-----'))) return { field: 'ca_pem', key: 'webhooks.ca_rule' };
  return null;
}

/** How long the previous secret still signs after a rotation, by default, and at most. */
export const OVERLAP_DEFAULT = 24;
export const OVERLAP_MAX = 168;

/** Whether `hours` is an overlap the server takes: a whole number of hours, 0 to 168. */
export function overlapOk(hours: number | null | undefined): hours is number {
  return typeof hours === 'number' && Number.isInteger(hours) && hours >= 0 && hours <= OVERLAP_MAX;
}

/** The deliveries shown per page of a webhook's log. */
export const DELIVERIES_LIMIT = 20;

/** The path of a page of a webhook's delivery log. */
export function deliveriesPath(id: string, offset: number): string {
  return `/api/v1/webhooks/${id}/deliveries?limit=${DELIVERIES_LIMIT}&offset=${Math.max(0, offset)}`;
}

/** The label of an event (the five a webhook asks for, and the test event), or null for one unknown. */
export function eventKey(event: string): MessageKey | null {
  const key = `webhooks.event.${event.replace('.', '_')}`;
  return i18n.isMessageKey(key) ? key : null;
}

export function kindKey(kind: WebhookKind): MessageKey {
  return `webhooks.kind.${kind}`;
}

export function statusKey(status: DeliveryStatus): MessageKey {
  return `webhooks.status.${status}`;
}
