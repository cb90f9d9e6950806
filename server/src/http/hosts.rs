//! Tenant admin: the host directory, one by one or as a CSV import with a per-row error report.

use axum::{extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use vestibule_shared::{
    ErrorEnvelope,
    dto::directory::{CreateHost, Host, HostImport, RowError, UpdateHost},
    types::{Email, PersonName},
};

use super::{
    extract::{ApiJson, ApiPath, ApiQuery, RawBody},
    views,
};
use crate::{auth::Admin, error::Error, state::AppState, store::NewHost};

/// The most rows one import may hold.
const MAX_IMPORT_ROWS: usize = 5_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_host, list_hosts))
        .routes(routes!(get_host, update_host, delete_host))
        .routes(routes!(import_hosts))
}

#[utoipa::path(post, path = "/api/v1/hosts", tag = "hosts", request_body = CreateHost,
    responses((status = 201, body = Host), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn create_host(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiJson(body): ApiJson<CreateHost>,
) -> Result<(StatusCode, ApiJson<Host>), Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let row = tx
        .insert_host(&NewHost {
            name: body.name.into(),
            email: body.email,
            site_id: body.site_id,
        })
        .await?;
    tx.audit(a.actor(), "host.create", format!("host:{}", row.id))
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(views::host(row))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct HostFilter {
    site_id: Option<Uuid>,
}

#[utoipa::path(get, path = "/api/v1/hosts", tag = "hosts", params(HostFilter), responses((status = 200, body = Vec<Host>)),
    security(("session" = ["admin"])))]
async fn list_hosts(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiQuery(f): ApiQuery<HostFilter>,
) -> Result<ApiJson<Vec<Host>>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let rows = tx.hosts(f.site_id).await?;
    tx.commit().await?;
    Ok(ApiJson(rows.into_iter().map(views::host).collect()))
}

#[utoipa::path(get, path = "/api/v1/hosts/{id}", tag = "hosts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Host), (status = 404, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn get_host(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<ApiJson<Host>, Error> {
    let mut tx = state.store.read(a.tenant).await?;
    let row = tx.host(id).await?.ok_or(Error::NotFound)?;
    tx.commit().await?;
    Ok(ApiJson(views::host(row)))
}

#[utoipa::path(patch, path = "/api/v1/hosts/{id}", tag = "hosts", params(("id" = Uuid, Path)), request_body = UpdateHost,
    responses((status = 200, body = Host), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)),
    security(("session" = ["admin"])))]
async fn update_host(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateHost>,
) -> Result<ApiJson<Host>, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    let mut row = tx.host(id).await?.ok_or(Error::NotFound)?;
    if let Some(n) = body.name {
        row.name = n.into();
    }
    if let Some(s) = body.site_id {
        row.site_id = s;
    }
    let email = match body.email {
        Some(e) => e,
        None => Email::parse(&row.email)
            .map_err(|_| Error::Internal(anyhow::anyhow!("stored host email is invalid")))?,
    };
    row.email = email.as_str().to_owned();
    tx.update_host(&row, &email).await?;
    tx.audit(a.actor(), "host.update", format!("host:{id}"))
        .await?;
    tx.commit().await?;
    Ok(ApiJson(views::host(row)))
}

#[utoipa::path(delete, path = "/api/v1/hosts/{id}", tag = "hosts", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn delete_host(
    State(state): State<AppState>,
    Admin(a): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, Error> {
    let mut tx = state.store.write(a.tenant).await?;
    if !tx.delete_host(id).await? {
        return Err(Error::NotFound);
    }
    tx.audit(a.actor(), "host.delete", format!("host:{id}"))
        .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports the directory from CSV (`Content-Type: text/csv`, header `name,email,site_id`).
/// Every row is checked first: if any is invalid, the answer is a 422 listing each bad row and
/// nothing is imported.
#[utoipa::path(post, path = "/api/v1/hosts/import", tag = "hosts", request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = HostImport), (status = 422, body = ErrorEnvelope)), security(("session" = ["admin"])))]
async fn import_hosts(
    State(state): State<AppState>,
    Admin(a): Admin,
    RawBody(body): RawBody,
) -> Result<(StatusCode, ApiJson<HostImport>), Error> {
    let rows = parse_csv(&body)?;
    let mut tx = state.store.write(a.tenant).await?;
    let sites: Vec<Uuid> = tx.sites().await?.into_iter().map(|s| s.id).collect();
    let (mut hosts, mut errors) = (Vec::new(), Vec::new());
    for row in rows {
        match row {
            Ok((line, h)) if !sites.contains(&h.site_id) => errors.push(RowError {
                line,
                column: "site_id".into(),
                message: "no such site".into(),
            }),
            Ok((_, h)) => hosts.push(h),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::InvalidRows(errors));
    }
    for h in &hosts {
        let row = tx.insert_host(h).await?;
        tx.audit(a.actor(), "host.import", format!("host:{}", row.id))
            .await?;
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(HostImport {
            imported: hosts.len(),
            errors: vec![],
        }),
    ))
}

/// One row of an import: its line and the host it describes, or why it is invalid.
pub type ParsedRow = Result<(u64, NewHost), RowError>;

/// Parses and validates a directory CSV (the body of `POST /api/v1/hosts/import`), row by row;
/// whether each row's site exists is checked afterwards. Public for the fuzz targets.
pub fn parse_csv(body: &[u8]) -> Result<Vec<ParsedRow>, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|_| Error::InvalidInput("the file is not CSV".into()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(ni), Some(ei), Some(si)) = (col("name"), col("email"), col("site_id")) else {
        return Err(Error::InvalidInput(
            "the CSV header must name the columns name, email and site_id".into(),
        ));
    };
    let mut rows = Vec::new();
    let mut lines = Lines {
        body,
        at: 0,
        line: 1,
    };
    for (i, record) in reader.records().enumerate() {
        if i >= MAX_IMPORT_ROWS {
            return Err(Error::InvalidInput(format!(
                "at most {MAX_IMPORT_ROWS} rows per import"
            )));
        }
        let read_from = match &record {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        };
        let line = read_from.map_or(i as u64 + 2, |p| lines.of_record(p.byte()));
        let err = |column: &str, message: &str| RowError {
            line,
            column: column.into(),
            message: message.into(),
        };
        let row = record
            .map_err(|_| err("", "not a valid CSV row"))
            .and_then(|r| {
                let field = |i: usize| r.get(i).unwrap_or("");
                let name = PersonName::parse(field(ni)).map_err(|e| err("name", e.0))?;
                let email = Email::parse(field(ei)).map_err(|e| err("email", e.0))?;
                let site_id =
                    Uuid::try_parse(field(si)).map_err(|_| err("site_id", "must be a UUID"))?;
                Ok((
                    line,
                    NewHost {
                        name: name.into(),
                        email,
                        site_id,
                    },
                ))
            });
        rows.push(row);
    }
    Ok(rows)
}

/// Line numbers as the file's author sees them, for the error report. The csv reader skips blank
/// lines, counts only `\n` as a line end and positions a record where its read began (before
/// the blank lines it skipped), so its count drifts after a blank line or a lone `\r`.
struct Lines<'a> {
    body: &'a [u8],
    /// How far the count has got, and the line there.
    at: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line on which the record that the reader began to read at byte `from` starts: past the
    /// blank lines there. A line ends at `\n`, `\r\n` or a lone `\r`, as a record does.
    fn of_record(&mut self, from: u64) -> u64 {
        let from = usize::try_from(from).map_or(self.body.len(), |f| f.min(self.body.len()));
        let start = from
            + self.body[from..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        while self.at < start {
            let ends_line = match self.body[self.at] {
                b'\n' => true,
                b'\r' => self.body.get(self.at + 1) != Some(&b'\n'),
                _ => false,
            };
            self.line += u64::from(ends_line);
            self.at += 1;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = "01900000-0000-7000-8000-000000000002";

    fn lines(csv: impl AsRef<[u8]>) -> Vec<u64> {
        parse_csv(csv.as_ref())
            .expect("a CSV")
            .iter()
            .map(|r| r.as_ref().map_or_else(|e| e.line, |(line, _)| *line))
            .collect()
    }

    #[test]
    fn rows_are_reported_on_their_own_lines() {
        let row = format!("Ada Lovelace,ada@example.com,{SITE}");
        assert_eq!(lines(format!("name,email,site_id\n{row}\n{row}\n")), [2, 3]);
        assert_eq!(
            lines(format!("name,email,site_id\n\n{row}\n\r\n\n{row}\n")),
            [3, 6],
            "blank lines"
        );
        assert_eq!(
            lines(format!(
                "name,email,site_id\r\n\"Ada\r\nLovelace\",x,y\r\n{row}\r\n"
            )),
            [2, 4],
            "a field over two lines"
        );
        assert_eq!(
            lines(format!("\u{feff}name,email,site_id\r{row}\r\r{row}")),
            [2, 4],
            "a BOM and lone carriage returns"
        );
        assert_eq!(
            lines(format!("\n\nname,email,site_id\n{row}\n")),
            [4],
            "blank lines before the header"
        );
        assert_eq!(
            lines(b"name,email,site_id\n\n\xff,x,y\n"),
            [3],
            "a row that is not UTF-8"
        );
    }
}
