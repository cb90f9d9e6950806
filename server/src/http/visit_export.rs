//! The visit log as CSV, streamed: every visit the filters match, newest first, read a page at a
//! time by keyset (each page its own short read transaction, the next read while the last is
//! sent) and sent as it is read, so that an export of a million visits holds a few pages in
//! memory, not the log. A visit checked in during the export is newer than the cursor and is
//! left out; every other visit is in it exactly once. The reading and writing run at the lowest
//! priority, so that the front desk's requests do not wait behind them (`background.rs`).

use axum::{
    body::{Body, Bytes},
    extract::State,
    http::header,
    response::IntoResponse,
};
use futures::{StreamExt, stream};
use tokio::sync::mpsc;
use uuid::Uuid;
use vestibule_shared::dto::visits::VisitFilter;

use super::{
    extract::ApiQuery,
    visits::{filter_sql, paging},
};
use crate::{
    auth::Admin,
    background,
    error::Error,
    ids::TenantId,
    state::AppState,
    store::{Store, VisitFilterSql, VisitRow},
};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Visits per page: one read transaction and one chunk of the response each.
const PAGE: i64 = 1_000;
/// Pages read ahead of the connection.
const AHEAD: usize = 2;
/// A page's CSV is about this long (256 bytes a visit).
const PAGE_BYTES: usize = 256 * PAGE as usize;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_visits))
}

/// The visit log as CSV (same filters; `limit`/`offset` are ignored): every matching visit,
/// streamed.
#[utoipa::path(get, path = "/api/v1/visits/export.csv", tag = "visits", params(VisitFilter),
    responses((status = 200, content_type = "text/csv", body = String)), security(("session" = ["admin"]), ("api_key" = ["visits:read"])))]
async fn export_visits(
    State(state): State<AppState>,
    a: Admin,
    ApiQuery(f): ApiQuery<VisitFilter>,
) -> Result<impl IntoResponse, Error> {
    paging(f.limit, f.offset)?;
    let tenant = a.0.tenant;
    let filter = filter_sql(&a.0, f, PAGE, 0)?;
    // The pages are read and written on a thread of their own, at the lowest priority
    // (`background.rs`), [`AHEAD`] pages in front of the connection. A failure ends the stream
    // with an error, so the client sees the answer cut off, never a short export that looks
    // whole; a client gone stops the job.
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, Error>>(AHEAD);
    background::spawn("export", state.store.clone(), move |store| {
        pages(store, tenant, filter, tx)
    })?;
    // The first page is read before the answer starts: a failure is still an error response.
    let head = rx.recv().await.ok_or_else(|| {
        Error::Internal(anyhow::anyhow!("the export stopped before its first page"))
    })??;
    let rest = stream::unfold(rx, |mut rx| async { rx.recv().await.map(|c| (c, rx)) });
    let body = Body::from_stream(stream::once(async { Ok(head) }).chain(rest));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"visits.csv\"",
            ),
        ],
        body,
    ))
}

/// Sends the export's pages to `tx` until the last one, a failure, or the client is gone.
async fn pages(
    store: Store,
    tenant: TenantId,
    mut filter: VisitFilterSql,
    tx: mpsc::Sender<Result<Bytes, Error>>,
) {
    let mut header = true;
    loop {
        let (chunk, more) = match next_page(&store, tenant, &mut filter, header).await {
            Ok((csv, more)) => (Ok(csv), more),
            Err(e) => {
                if !header {
                    tracing::warn!(error = %e, "a visit export stopped before its end");
                }
                (Err(e), false)
            }
        };
        header = false;
        if tx.send(chunk).await.is_err() || !more {
            break;
        }
    }
}

/// The next page of the export as CSV (after the header line if `header`), in a read transaction
/// of its own, each visit written as the engine reads it; moves the filter's cursor past it and
/// says whether another may follow.
async fn next_page(
    store: &Store,
    tenant: TenantId,
    filter: &mut VisitFilterSql,
    header: bool,
) -> Result<(Bytes, bool), Error> {
    let mut csv = csv::Writer::from_writer(Vec::with_capacity(PAGE_BYTES));
    if header {
        csv.write_record(COLUMNS).map_err(csv_failed)?;
    }
    let (mut last, mut count, mut scratch) = (None, 0, String::new());
    let _page = store.open_page().await;
    let mut tx = store.read(tenant).await?;
    tx.visits_each(filter, |r| {
        (last, count) = (Some((r.checked_in_at, r.id)), count + 1);
        record(&mut csv, &mut scratch, &r).map_err(csv_failed)
    })
    .await?;
    tx.commit().await?;
    filter.after = last;
    let more = count == filter.limit;
    let csv = csv
        .into_inner()
        .map_err(|e| csv_failed(e.into_error().into()))?;
    Ok((Bytes::from(csv), more))
}

/// The export's columns.
const COLUMNS: [&str; 13] = [
    "visit_id",
    "site_id",
    "host_id",
    "host_name",
    "visitor_name",
    "visitor_email",
    "visitor_company",
    "visitor_phone",
    "purpose",
    "status",
    "badge_code",
    "checked_in_at",
    "checked_out_at",
];

/// Writes a visit's line, its [`COLUMNS`], each cell straight into the CSV's buffer (`scratch`
/// only for a timestamp or a cell given a `'`): a million visits make no String per cell.
fn record(
    csv: &mut csv::Writer<Vec<u8>>,
    scratch: &mut String,
    r: &VisitRow,
) -> Result<(), csv::Error> {
    use std::fmt::Write as _;
    let uuid = |csv: &mut csv::Writer<Vec<u8>>, id: Option<Uuid>| {
        let mut buf = Uuid::encode_buffer();
        csv.write_field(id.map_or("", |id| id.hyphenated().encode_lower(&mut buf)))
    };
    uuid(csv, Some(r.id))?;
    uuid(csv, Some(r.site_id))?;
    uuid(csv, r.host_id)?;
    // A cell as a spreadsheet will not run: a leading `= + - @` (or tab, CR) gets a `'` in front.
    let mut cell = |csv: &mut csv::Writer<Vec<u8>>, s: Option<&str>| {
        let s = s.unwrap_or("");
        if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            scratch.clear();
            scratch.push('\'');
            scratch.push_str(s);
            csv.write_field(&*scratch)
        } else {
            csv.write_field(s)
        }
    };
    cell(csv, r.host_name.as_deref())?;
    cell(csv, Some(&r.visitor_name))?;
    cell(csv, Some(&r.visitor_email))?;
    cell(csv, r.visitor_company.as_deref())?;
    cell(csv, r.visitor_phone.as_deref())?;
    cell(csv, r.purpose.as_deref())?;
    csv.write_field(r.status.as_str())?;
    csv.write_field(&r.badge_code)?;
    for at in [Some(r.checked_in_at), r.checked_out_at] {
        scratch.clear();
        if let Some(at) = at {
            // RFC 3339 as `to_rfc3339` writes it (the test below holds them equal).
            let _ = write!(scratch, "{}", at.format(RFC3339));
        }
        csv.write_field(&*scratch)?;
    }
    csv.write_record(None::<&[u8]>)
}

/// `DateTime::to_rfc3339`'s layout, written without a String of its own.
const RFC3339: &str = "%Y-%m-%dT%H:%M:%S%.f%:z";

/// A CSV writer's failure (into memory: not expected).
fn csv_failed(e: csv::Error) -> Error {
    Error::Internal(e.into())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Timelike, Utc};

    use super::RFC3339;

    #[test]
    fn timestamps_are_written_as_rfc3339() {
        let whole = Utc.with_ymd_and_hms(2026, 12, 7, 9, 5, 0).single();
        let times: Vec<DateTime<Utc>> = [0, 120_000_000, 123_456_000, 123_456_789]
            .into_iter()
            .filter_map(|ns| whole.and_then(|t| t.with_nanosecond(ns)))
            .collect();
        assert_eq!(times.len(), 4);
        for t in times {
            assert_eq!(t.format(RFC3339).to_string(), t.to_rfc3339());
        }
    }
}
