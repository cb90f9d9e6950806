//! Every sealed column, in one list. Repositories seal and open through these constants; key
//! rotation and `keys status` walk [`SEALED_TABLES`] (each table is keyed by `(tenant_id, id)`,
//! and `id` is the row id bound into the ciphertext).

use crate::crypto::Field;

pub const VISITOR_NAME: Field = Field::new("visitors", "name_enc");
pub const VISITOR_EMAIL: Field = Field::new("visitors", "email_enc");
pub const VISITOR_COMPANY: Field = Field::new("visitors", "company_enc");
pub const VISITOR_PHONE: Field = Field::new("visitors", "phone_enc");
pub const VISIT_PURPOSE: Field = Field::new("visits", "purpose_enc");
pub const HOST_NAME: Field = Field::new("hosts", "name_enc");
pub const HOST_EMAIL: Field = Field::new("hosts", "email_enc");
pub const USER_NAME: Field = Field::new("users", "name_enc");
pub const USER_EMAIL: Field = Field::new("users", "email_enc");
pub const OUTBOX_PAYLOAD: Field = Field::new("outbox", "payload_enc");
pub const INVITE_NAME: Field = Field::new("invites", "name_enc");
pub const INVITE_EMAIL: Field = Field::new("invites", "email_enc");
pub const INVITE_COMPANY: Field = Field::new("invites", "company_enc");
pub const INVITE_NOTE: Field = Field::new("invites", "note_enc");
pub const INTEGRATION_SECRET: Field = Field::new("integrations", "secret_enc");
pub const RECORD_ANSWERS: Field = Field::new("visit_records", "answers_enc");
pub const RECORD_PHOTO: Field = Field::new("visit_records", "photo_enc");
pub const RECORD_SIGNATURE: Field = Field::new("visit_records", "signature_enc");
pub const WATCH_NAME: Field = Field::new("watchlist", "name_enc");
pub const WATCH_EMAIL: Field = Field::new("watchlist", "email_enc");
pub const WATCH_REASON: Field = Field::new("watchlist", "reason_enc");
pub const OFFLINE_PRIVATE: Field = Field::new("offline_keys", "private_enc");
pub const SCIM_RESOURCE: Field = Field::new("scim_users", "resource_enc");
pub const WEBHOOK_URL: Field = Field::new("webhooks", "url_enc");
pub const WEBHOOK_SECRET: Field = Field::new("webhooks", "secret_enc");
pub const WEBHOOK_PREV_SECRET: Field = Field::new("webhooks", "prev_secret_enc");

/// The tables with sealed columns, and those columns.
pub const SEALED_TABLES: &[(&str, &[Field])] = &[
    (
        "visitors",
        &[VISITOR_NAME, VISITOR_EMAIL, VISITOR_COMPANY, VISITOR_PHONE],
    ),
    ("visits", &[VISIT_PURPOSE]),
    ("hosts", &[HOST_NAME, HOST_EMAIL]),
    ("users", &[USER_NAME, USER_EMAIL]),
    ("outbox", &[OUTBOX_PAYLOAD]),
    (
        "invites",
        &[INVITE_NAME, INVITE_EMAIL, INVITE_COMPANY, INVITE_NOTE],
    ),
    ("integrations", &[INTEGRATION_SECRET]),
    (
        "visit_records",
        &[RECORD_ANSWERS, RECORD_PHOTO, RECORD_SIGNATURE],
    ),
    ("watchlist", &[WATCH_NAME, WATCH_EMAIL, WATCH_REASON]),
    ("offline_keys", &[OFFLINE_PRIVATE]),
    ("scim_users", &[SCIM_RESOURCE]),
    (
        "webhooks",
        &[WEBHOOK_URL, WEBHOOK_SECRET, WEBHOOK_PREV_SECRET],
    ),
];
