//! Visitor types: a check-in flow per kind of visitor (contractor, interview, delivery...), with
//! the standard fields it asks, up to ten custom questions, the agreement documents to sign, a
//! photo, whether a host must be chosen and whether the host approves the visit first. The
//! agreement documents are versioned per language: a signed visit keeps the version it was shown.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::types::{DocumentText, Label, Language, LinkToken, ShortAnswer};

/// A label per language (at least one).
pub type Labels = BTreeMap<Language, Label>;

/// The most custom questions a visitor type has.
pub const MAX_QUESTIONS: usize = 10;
/// The most choices a choice question has.
pub const MAX_CHOICES: usize = 10;
/// The most agreement documents a visitor type asks to sign.
pub const MAX_AGREEMENTS: usize = 5;

/// Whether a standard field is asked, and whether it must be answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FieldRule {
    Off,
    #[default]
    Optional,
    Required,
}

/// The standard fields beyond name and email (which are always asked).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct StandardFields {
    #[serde(default)]
    pub company: FieldRule,
    #[serde(default)]
    pub phone: FieldRule,
    #[serde(default)]
    pub purpose: FieldRule,
}

/// The kind of a custom question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// Up to 500 characters of text.
    Text,
    /// One of 2 to 10 choices, answered with the choice's index.
    Choice,
    /// Yes or no.
    YesNo,
}

/// The picture a visitor type shows on the kiosk's choice screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TypeIcon {
    #[default]
    Visitor,
    Contractor,
    Interview,
    Delivery,
    Vip,
}

/// A custom question of a visitor type.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Given by the server; send it back unchanged when editing, so that answers stay linked.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub kind: QuestionKind,
    #[serde(default)]
    pub required: bool,
    #[schema(value_type = BTreeMap<String, String>)]
    pub labels: Labels,
    /// The choices of a `choice` question (2 to 10), each with its labels; empty otherwise.
    #[serde(default)]
    #[schema(value_type = Vec<BTreeMap<String, String>>)]
    pub choices: Vec<Labels>,
}

/// `POST /api/v1/visitor-types` and `PUT /api/v1/visitor-types/{id}`: a visitor type's whole
/// definition.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorTypeInput {
    /// The name per language, as the kiosk's choice screen shows it.
    #[schema(value_type = BTreeMap<String, String>)]
    pub names: Labels,
    #[serde(default)]
    pub icon: TypeIcon,
    /// The sites whose kiosks offer it; every site when empty.
    #[serde(default)]
    pub site_ids: Vec<Uuid>,
    #[serde(default)]
    pub fields: StandardFields,
    /// Up to 10.
    #[serde(default)]
    pub questions: Vec<Question>,
    /// The agreement documents the visitor signs (ids of `/api/v1/agreements`), up to 5.
    #[serde(default)]
    pub agreements: Vec<Uuid>,
    /// The kiosk takes the visitor's photo.
    #[serde(default)]
    pub photo: bool,
    /// The visitor must choose their host; when not, a visitor who does not is the visit of
    /// `default_host_id` (a mailroom, reception).
    #[serde(default = "yes")]
    pub host_required: bool,
    #[serde(default)]
    pub default_host_id: Option<Uuid>,
    /// The host approves the visit before the badge is issued (needs `host_required`).
    #[serde(default)]
    pub approval: bool,
    /// Where it comes on the choice screen (lowest first).
    #[serde(default)]
    pub position: u16,
}

fn yes() -> bool {
    true
}

/// A visitor type as the console shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitorType {
    pub id: Uuid,
    #[serde(flatten)]
    pub flow: VisitorTypeInput,
    pub updated_at: DateTime<Utc>,
}

/// One language's text of an agreement document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementBody {
    pub title: Label,
    pub body: DocumentText,
}

/// `POST /api/v1/agreements` (version 1) and `PUT /api/v1/agreements/{id}` (the next version):
/// a document's name (for staff) and its text per language.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementInput {
    pub name: Label,
    #[schema(value_type = BTreeMap<String, AgreementBody>)]
    pub texts: BTreeMap<Language, AgreementBody>,
}

/// An agreement document at its current version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Agreement {
    pub id: Uuid,
    pub name: String,
    pub version: u32,
    #[schema(value_type = BTreeMap<String, AgreementBody>)]
    pub texts: BTreeMap<Language, AgreementBody>,
    pub updated_at: DateTime<Utc>,
}

/// One language's text of an agreement as the kiosk shows it, with the SHA-256 (hex) of
/// `title`, a blank line and `body`, which the signed PDF carries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AgreementText {
    pub title: String,
    pub body: String,
    pub sha256: String,
}

/// An agreement document to sign, at its current version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KioskAgreement {
    pub document_id: Uuid,
    pub version: u32,
    #[schema(value_type = BTreeMap<String, AgreementText>)]
    pub texts: BTreeMap<Language, AgreementText>,
}

/// A custom question as the kiosk asks it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KioskQuestion {
    pub id: Uuid,
    pub kind: QuestionKind,
    pub required: bool,
    #[schema(value_type = BTreeMap<String, String>)]
    pub labels: BTreeMap<Language, String>,
    #[schema(value_type = Vec<BTreeMap<String, String>>)]
    pub choices: Vec<BTreeMap<Language, String>>,
}

/// `GET /api/v1/kiosk/visitor-types`: the types the kiosk's site offers, in order, each with
/// what its flow asks. None: the kiosk's built-in flow (the consent of the settings).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KioskVisitorType {
    pub id: Uuid,
    #[schema(value_type = BTreeMap<String, String>)]
    pub names: BTreeMap<Language, String>,
    pub icon: TypeIcon,
    pub fields: StandardFields,
    pub questions: Vec<KioskQuestion>,
    pub agreements: Vec<KioskAgreement>,
    pub photo: bool,
    pub host_required: bool,
    pub approval: bool,
}

/// A visitor's answer to a custom question: text, a choice's index, or yes/no.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    YesNo(bool),
    Choice(u8),
    Text(ShortAnswer),
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub question_id: Uuid,
    pub value: AnswerValue,
}

/// An agreement the visitor was shown and signed: which version, in which language.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShownAgreement {
    pub document_id: Uuid,
    pub version: u32,
    pub language: Language,
}

/// `GET /api/v1/kiosk/visits/{id}`: where a visit this kiosk checked in stands (the waiting
/// screen of a visit that needs its host's approval polls it); the badge code once approved.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KioskVisitState {
    pub visit_id: Uuid,
    pub status: crate::dto::visits::VisitStatus,
    pub badge_code: Option<String>,
}

/// A custom question's answer as recorded with the visit: the question's label and the answer
/// as the visitor saw them, in the tenant's language.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordedAnswer {
    pub question_id: Uuid,
    pub question: String,
    pub answer: String,
}

/// An agreement signed with a visit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignedAgreement {
    pub document_id: Uuid,
    pub name: String,
    pub version: u32,
    pub language: Language,
    /// SHA-256 (hex) of the text shown.
    pub sha256: String,
    pub signed_at: DateTime<Utc>,
}

/// Where a host's approval stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    Pending,
    Approved,
    Denied,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Approval {
    pub state: ApprovalState,
    pub decided_at: Option<DateTime<Utc>>,
    /// Who decided: `user:<id>`, or `host-link` for the emailed link.
    pub decided_by: Option<String>,
}

/// `GET /api/v1/visits/{id}/record`: what a visit of a visitor type recorded besides the
/// visitor's details.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VisitRecord {
    pub visitor_type_id: Option<Uuid>,
    pub visitor_type: Option<String>,
    pub answers: Vec<RecordedAnswer>,
    pub agreements: Vec<SignedAgreement>,
    /// `GET /api/v1/visits/{id}/photo` answers the photo.
    pub photo: bool,
    pub approval: Option<Approval>,
}

/// `POST /api/v1/approvals`: the host's decision with the token of their email's link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideApproval {
    pub token: LinkToken,
    pub approve: bool,
}

/// `POST /api/v1/approvals/lookup`: what the host's link opens: the visitor's name and where.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalLookup {
    pub token: LinkToken,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApprovalRequest {
    pub visit_id: Uuid,
    pub visitor_name: String,
    pub visitor_company: Option<String>,
    pub visitor_type: Option<String>,
    pub site_name: String,
    pub checked_in_at: DateTime<Utc>,
    pub state: ApprovalState,
}
