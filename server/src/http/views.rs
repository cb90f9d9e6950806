//! Rows to wire DTOs: what each object looks like in a response.

use vestibule_shared::dto::{
    accounts::{Tenant, User},
    directory::{Host, Kiosk, Site},
    invites::Invite,
    visits::{AuditEntry, CheckedIn, Visit, VisitStatus},
};

use crate::store::{
    AuditRow, CheckedInRow, HostRow, InviteRow, KioskRow, SiteRow, TenantRow, UserRow, VisitRow,
};

pub fn tenant(r: &TenantRow) -> Tenant {
    Tenant {
        id: r.id,
        slug: r.slug.clone(),
        name: r.name.clone(),
        plan: r.plan(),
        created_at: r.created_at,
    }
}

pub fn user(r: UserRow) -> User {
    User {
        id: r.id,
        email: r.email,
        name: r.name,
        role: r.role,
        has_pin: r.pin_hash.is_some(),
        disabled: r.disabled,
        created_at: r.created_at,
    }
}

pub fn site(r: SiteRow) -> Site {
    Site {
        id: r.id,
        name: r.name,
        timezone: r.timezone,
        arrival_instructions: r.arrival_instructions,
        auto_checkout_at: r.auto_checkout_at,
        emergency_contacts: serde_json::from_str(&r.emergency_contacts).unwrap_or_default(),
        created_at: r.created_at,
    }
}

pub fn host(r: HostRow) -> Host {
    Host {
        id: r.id,
        name: r.name,
        email: r.email,
        site_id: r.site_id,
        active: r.active,
        provisioned: r.provisioned,
        created_at: r.created_at,
    }
}

pub fn kiosk(r: KioskRow) -> Kiosk {
    Kiosk {
        id: r.id,
        site_id: r.site_id,
        name: r.name,
        created_at: r.created_at,
        enrolled_at: r.enrolled_at,
        revoked_at: r.revoked_at,
        last_seen_at: r.last_seen_at,
    }
}

pub fn visit(r: VisitRow) -> Visit {
    Visit {
        id: r.id,
        site_id: r.site_id,
        host_id: r.host_id,
        host_name: r.host_name,
        visitor_name: r.visitor_name,
        visitor_email: r.visitor_email,
        visitor_company: r.visitor_company,
        visitor_phone: r.visitor_phone,
        purpose: r.purpose,
        status: r.status,
        badge_code: r.badge_code,
        checked_in_at: r.checked_in_at,
        checked_out_at: r.checked_out_at,
        checked_out_auto: r.checked_out_auto,
        offline: r.offline,
    }
}

pub fn audit(r: AuditRow) -> AuditEntry {
    AuditEntry {
        seq: r.seq,
        at: r.at,
        actor: r.actor,
        action: r.action,
        target: r.target,
        prev_hash: hex::encode(r.prev_hash),
        hash: hex::encode(r.hash),
    }
}

/// An invitation; `code` only in the answer that created it.
pub fn invite(r: InviteRow, code: Option<String>) -> Invite {
    Invite {
        id: r.id,
        code,
        site_id: r.site_id,
        host_id: r.host_id,
        host_name: r.host_name,
        visitor_name: r.visitor_name,
        visitor_email: r.visitor_email,
        visitor_company: r.visitor_company,
        note: r.note,
        expected_at: r.expected_at,
        expires_at: r.expires_at,
        state: r.state,
        visit_id: r.visit_id,
        created_at: r.created_at,
    }
}

/// Where a visit just checked in stands: held at the desk, waiting for its host, or on site.
pub fn row_status(r: &CheckedInRow) -> VisitStatus {
    match (r.held, r.pending_approval) {
        (true, _) => VisitStatus::Held,
        (false, true) => VisitStatus::PendingApproval,
        (false, false) => VisitStatus::OnSite,
    }
}

/// A visit just checked in; for an invited visitor with their first name and host's name. The
/// badge code only for a visit on site.
pub fn checked_in(
    r: CheckedInRow,
    visitor_first_name: Option<String>,
    host_name: Option<String>,
) -> CheckedIn {
    let status = row_status(&r);
    let badge_code = (status == VisitStatus::OnSite).then_some(r.badge_code);
    CheckedIn {
        visit_id: r.id,
        status,
        badge_code,
        checked_in_at: r.checked_in_at,
        host_notification: r.host_notification,
        visitor_first_name,
        host_name,
        offline: false,
    }
}
