// The wire types the console reads (see shared/src/dto in the repository).
import type { Lang } from './i18n';

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
  /** Who gets the roll call's link when an evacuation starts (at most 10). */
  emergency_contacts: string[];
}
export interface Host {
  id: string;
  name: string;
  email: string;
  site_id: string;
  /** False once the identity provider deactivated them: out of the kiosk directory. */
  active: boolean;
  /** Kept by the company's identity provider (SCIM). */
  provisioned: boolean;
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
/**
 * `pending_approval`: waiting for the host's approval (no badge yet); `held`: the visitor matched
 * the watchlist (no badge, the host not told) until the desk admits them; `denied`: not approved,
 * or turned away at the desk.
 */
export type VisitStatus = 'on_site' | 'checked_out' | 'pending_approval' | 'denied' | 'held';
export interface Visit {
  id: string;
  site_id: string;
  /** `null`: checked in offline for a host removed before the check-in arrived. */
  host_id: string | null;
  host_name: string | null;
  visitor_name: string;
  visitor_email: string;
  visitor_company: string | null;
  visitor_phone: string | null;
  purpose: string | null;
  status: VisitStatus;
  badge_code: string;
  checked_in_at: string;
  checked_out_at: string | null;
  checked_out_auto: boolean;
  /** Checked in on a kiosk while it could not reach the server, delivered sealed later. */
  offline: boolean;
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

/** A text per language (at least one when sent; blank ones are left out). */
export type Labels = Partial<Record<Lang, string>>;
export type FieldRule = 'off' | 'optional' | 'required';
export type QuestionKind = 'text' | 'choice' | 'yes_no';
export type TypeIcon = 'visitor' | 'contractor' | 'interview' | 'delivery' | 'vip';
export interface StandardFields {
  company: FieldRule;
  phone: FieldRule;
  purpose: FieldRule;
}
export interface Question {
  /** Given by the server; sent back unchanged when editing, so that answers stay linked. */
  id?: string | null;
  kind: QuestionKind;
  required: boolean;
  labels: Labels;
  /** 2 to 10 for a `choice` question, empty otherwise. */
  choices: Labels[];
}
/** `POST /api/v1/visitor-types`, `PUT /api/v1/visitor-types/{id}`: a visitor type's whole flow. */
export interface VisitorTypeInput {
  names: Labels;
  icon: TypeIcon;
  /** Every site when empty. */
  site_ids: string[];
  fields: StandardFields;
  questions: Question[];
  /** Ids of agreement documents, up to 5. */
  agreements: string[];
  photo: boolean;
  host_required: boolean;
  /** The host of a visitor who chooses none (needed when `host_required` is false). */
  default_host_id: string | null;
  /** The host approves first (needs `host_required`). */
  approval: boolean;
  position: number;
}
export interface VisitorType extends VisitorTypeInput {
  id: string;
  updated_at: string;
}
export interface AgreementBody {
  title: string;
  body: string;
}
/** `POST /api/v1/agreements` (version 1), `PUT /api/v1/agreements/{id}` (the next version). */
export interface AgreementInput {
  name: string;
  texts: Partial<Record<Lang, AgreementBody>>;
}
export interface Agreement extends AgreementInput {
  id: string;
  version: number;
  updated_at: string;
}
export interface RecordedAnswer {
  question_id: string;
  question: string;
  answer: string;
}
export interface SignedAgreement {
  document_id: string;
  name: string;
  version: number;
  language: Lang;
  /** SHA-256 (hex) of the text shown. */
  sha256: string;
  signed_at: string;
}
export type ApprovalState = 'pending' | 'approved' | 'denied';
export interface Approval {
  state: ApprovalState;
  decided_at: string | null;
  /** `user:<id>`, or `host-link` for the emailed link. */
  decided_by: string | null;
}
/** `GET /api/v1/visits/{id}/record` (404 for a visit of the built-in flow). */
export interface VisitRecord {
  visitor_type_id: string | null;
  visitor_type: string | null;
  answers: RecordedAnswer[];
  agreements: SignedAgreement[];
  /** `GET /api/v1/visits/{id}/photo` answers it. */
  photo: boolean;
  approval: Approval | null;
}
/** `POST /api/v1/approvals/lookup`. */
export interface ApprovalLookup {
  token: string;
}
/** `POST /api/v1/approvals`: the host's decision with their email's link. */
export interface DecideApproval {
  token: string;
  approve: boolean;
}
/** What the host's link opens. */
export interface ApprovalRequest {
  visit_id: string;
  visitor_name: string;
  visitor_company: string | null;
  visitor_type: string | null;
  site_name: string;
  checked_in_at: string;
  state: ApprovalState;
}

/** A badge's label stock: Brother QL 62 × 100 mm, DYMO 30256 (59 × 102 mm), A6 paper. */
export type BadgeTemplate = 'brother-62x100' | 'dymo-30256' | 'a6';
/** From the printer's URL: `ipp://`/`ipps://` (sent a PDF), `socket://` (a Brother QL's raster). */
export type PrinterKind = 'ipp' | 'brother_ql';
/** `POST /api/v1/sites/{site_id}/printers`; `PATCH /api/v1/printers/{id}` takes any of these. */
export interface PrinterInput {
  name: string;
  url: string;
  template: BadgeTemplate;
  /** Tried only when the site's other printers fail. */
  fallback: boolean;
}
/** A site's label printer (a site's are tried in order, fallbacks last). */
export interface Printer extends PrinterInput {
  id: string;
  site_id: string;
  kind: PrinterKind;
  created_at: string;
}
/** How a print from the server went (`POST /api/v1/printers/{id}/test`, `POST /api/v1/visits/{id}/print`). */
export interface Printed {
  printed: boolean;
  printer_id: string | null;
  printer_name: string | null;
  /** Why no printer took it. */
  problem: string | null;
}
/** `PUT /api/v1/settings/logo`: the tenant's logo for badges, in standard base64. */
export interface LogoUpload {
  content_type: 'image/png' | 'image/svg+xml';
  data: string;
}

/** Where a person of a roll call stands. */
export type RollStatus = 'unaccounted' | 'safe' | 'missing';
export interface RollCounts {
  total: number;
  safe: number;
  missing: number;
  unaccounted: number;
}
/** A visitor on a roll call; one who checks out during it stays, with `checked_out_at`. */
export interface RollCallPerson {
  visit_id: string;
  visitor_name: string;
  visitor_company: string | null;
  host_name: string | null;
  checked_in_at: string;
  checked_out_at: string | null;
  status: RollStatus;
  marked_at: string | null;
}
/** `GET /api/v1/evacuations`: a roll call without its people. */
export interface EvacuationSummary {
  id: string;
  site_id: string;
  site_name: string;
  started_at: string;
  closed_at: string | null;
  counts: RollCounts;
}
/** `GET /api/v1/evacuations/{id}`: the roll call. */
export interface Evacuation extends EvacuationSummary {
  people: RollCallPerson[];
}

/** A person the admins want stopped at the door (`GET /api/v1/watchlist`, newest first). */
export interface WatchEntry {
  id: string;
  name: string | null;
  email: string | null;
  /** Why: shown to the staff who decide, never at the kiosk. */
  reason: string;
  /** After this it no longer holds anyone; null: never. */
  expires_at: string | null;
  created_at: string;
  /** Not expired: it holds a matching check-in. */
  active: boolean;
}
/**
 * `POST /api/v1/watchlist` (a name, an email or both; no blank values) and
 * `PATCH /api/v1/watchlist/{id}` (a field left out is kept, `null` clears it).
 */
export interface WatchInput {
  name?: string | null;
  email?: string | null;
  reason?: string;
  /** RFC 3339. */
  expires_at?: string | null;
}
/** `GET /api/v1/visits/{id}/hold`: why a held visit is held (404 once it is not). */
export interface HoldReasons {
  reasons: string[];
}

/** `POST /api/v1/privacy/export`: everything held about one person. */
export interface SubjectExport {
  email: string;
  visits: Visit[];
  invites: Invite[];
  passes: unknown[];
}
/** `POST /api/v1/privacy/erase`: what it removed. */
export interface Erased {
  erased_visits: number;
  erased_invites: number;
  erased_visitors: number;
  erased_passes: number;
}

/** What an API key may do (`shared/src/dto/api_keys.rs`). */
export type ApiScope = 'visits:read' | 'invites:write' | 'hosts:write' | 'scim' | 'events:read';
export const API_SCOPES: ApiScope[] = ['visits:read', 'invites:write', 'hosts:write', 'scim', 'events:read'];
/** `GET /api/v1/api-keys`: a key, never its secret. */
export interface ApiKey {
  id: string;
  name: string;
  scopes: ApiScope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}
/** `POST /api/v1/api-keys`: the new key and its secret, shown this once. */
export interface ApiKeyCreated extends ApiKey {
  key: string;
}

/** How a webhook sends (`shared/src/dto/webhooks.rs`): signed JSON, a Slack or a Teams message. */
export type WebhookKind = 'standard' | 'slack' | 'teams';
export const WEBHOOK_KINDS: WebhookKind[] = ['standard', 'slack', 'teams'];
/** The events a webhook may ask for. */
export type WebhookEvent = 'visit.checked_in' | 'visit.checked_out' | 'visit.held' | 'invite.created' | 'evacuation.started';
export const WEBHOOK_EVENTS: WebhookEvent[] = ['visit.checked_in', 'visit.checked_out', 'visit.held', 'invite.created', 'evacuation.started'];
/** `GET /api/v1/webhooks`: a webhook, never its secret (for Slack and Teams, the URL's origin only). */
export interface Webhook {
  id: string;
  kind: WebhookKind;
  url: string;
  events: WebhookEvent[];
  include_visitor: boolean;
  has_ca: boolean;
  created_at: string;
  /** After a rotation, the previous secret still signs until then. */
  previous_secret_until: string | null;
}
/** `POST /api/v1/webhooks`. */
export interface WebhookInput {
  url: string;
  kind: WebhookKind;
  events: WebhookEvent[];
  include_visitor: boolean;
  ca_pem: string | null;
}
/** `POST /api/v1/webhooks`: the new webhook and, for `standard`, its signing secret, shown this once. */
export interface WebhookCreated extends Webhook {
  secret: string | null;
}
/** `POST /api/v1/webhooks/{id}/rotate`: the new secret, shown this once. */
export interface WebhookSecret {
  secret: string;
  previous_secret_until: string;
}
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
/** One event sent (or being sent) to a webhook, with its last attempt. */
export interface WebhookDelivery {
  id: string;
  /** One of the webhook events, or `webhook.test`. */
  event: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_duration_ms: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}
