//! The host-directory CSV import ([`server::http::parse_csv`]). Never panics; every accepted row
//! holds a valid name, email and site id; rows come in file order, each on a line of its own
//! (a line ends at `\n`, `\r\n` or a lone `\r`). For a file without quotes (one record per
//! line), each accepted row's line number points at the line that holds it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use server::http::parse_csv;
use vestibule_shared::types::{Email, PersonName};

/// The name, email and site id columns of a header line (as `parse_csv` finds them).
fn columns(header: &str) -> Option<[usize; 3]> {
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let col = |name: &str| names.iter().position(|h| h.eq_ignore_ascii_case(name));
    Some([col("name")?, col("email")?, col("site_id")?])
}

/// The lines of `data`, without their ends.
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut rest = data;
    while let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
        lines.push(&rest[..end]);
        let skip = if rest[end..].starts_with(b"\r\n") {
            2
        } else {
            1
        };
        rest = &rest[end + skip..];
    }
    lines.push(rest);
    lines
}

fuzz_target!(|data: &[u8]| {
    let Ok(rows) = parse_csv(data) else { return };
    let all = lines(data);
    let count = all.len() as u64;
    let mut last = 1;
    for row in &rows {
        let line = match row {
            Ok((line, host)) => {
                let name = PersonName::parse(&host.name).expect("an accepted row has a valid name");
                assert_eq!(
                    name.as_str(),
                    host.name,
                    "an accepted name is not in its parsed form"
                );
                let email =
                    Email::parse(host.email.as_str()).expect("an accepted row has a valid email");
                assert!(
                    email == host.email,
                    "an accepted email is not in its parsed form"
                );
                *line
            }
            Err(e) => {
                assert!(
                    ["", "name", "email", "site_id"].contains(&e.column.as_str()),
                    "an unknown column"
                );
                assert!(!e.message.is_empty(), "an empty reason");
                e.line
            }
        };
        assert!(
            line > last && line <= count,
            "row line {line} after line {last}, of {count} lines"
        );
        last = line;
    }

    // One record per line: the reported line holds the row.
    if data.contains(&b'"') {
        return;
    }
    let Some(header) = all.iter().find(|l| !l.is_empty()) else {
        return;
    };
    let header = header.strip_prefix("\u{feff}".as_bytes()).unwrap_or(header);
    let Some([ni, ei, si]) = std::str::from_utf8(header).ok().and_then(columns) else {
        return;
    };
    for (line, host) in rows.iter().filter_map(|r| r.as_ref().ok()) {
        let text = std::str::from_utf8(all[*line as usize - 1]).expect("an accepted row is UTF-8");
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        let field = |i: usize| fields.get(i).copied().unwrap_or("");
        assert_eq!(
            field(ni),
            host.name,
            "line {line} does not hold the row's name"
        );
        assert_eq!(
            field(ei),
            host.email.as_str(),
            "line {line} does not hold the row's email"
        );
        assert_eq!(
            field(si).parse().ok(),
            Some(host.site_id),
            "line {line} does not hold the row's site id"
        );
    }
});
