//! Reading an uploaded CSV file for the imports (the host directory, invitations): the header
//! names the columns, in any order and case; each row is parsed on its own, and a rejected one is
//! reported on the line its author sees it on, with the column and the rule.

use csv::StringRecord;
use vestibule_shared::dto::directory::RowError;

use crate::error::Error;

/// The most rows one import may hold.
pub const MAX_ROWS: usize = 5_000;

/// One parsed row: its line and value, or why it was rejected.
pub type Parsed<T> = Result<(u64, T), RowError>;

/// One row of the file, as the parser of an import sees it.
pub struct Row<'a> {
    line: u64,
    headers: &'a StringRecord,
    record: &'a StringRecord,
}

impl Row<'_> {
    /// The value in `column` (trimmed; empty when the column or the field is missing).
    pub fn get(&self, column: &str) -> &str {
        self.headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(column))
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
    }

    /// This row's rejection: `column` breaks `rule`.
    pub fn error(&self, column: &str, rule: &str) -> RowError {
        RowError {
            line: self.line,
            column: column.into(),
            message: rule.into(),
        }
    }
}

/// Reads `body` as CSV whose header names at least the `required` columns, and parses each row
/// with `parse`: every row's line and value, or why it was rejected.
pub fn parse<T>(
    body: &[u8],
    required: &[&str],
    mut parse: impl FnMut(&Row<'_>) -> Result<T, RowError>,
) -> Result<Vec<Parsed<T>>, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|_| Error::InvalidInput("the file is not CSV".into()))?
        .clone();
    if !required
        .iter()
        .all(|c| headers.iter().any(|h| h.eq_ignore_ascii_case(c)))
    {
        return Err(Error::InvalidInput(format!(
            "the CSV header must name the columns {}",
            listed(required)
        )));
    }
    let mut rows = Vec::new();
    let mut lines = Lines {
        body,
        at: 0,
        line: 1,
    };
    for (i, record) in reader.records().enumerate() {
        if i >= MAX_ROWS {
            return Err(Error::InvalidInput(format!(
                "at most {MAX_ROWS} rows per import"
            )));
        }
        let read_from = match &record {
            Ok(r) => r.position(),
            Err(e) => e.position(),
        };
        let line = read_from.map_or(i as u64 + 2, |p| lines.of_record(p.byte()));
        rows.push(match record {
            Ok(record) => parse(&Row {
                line,
                headers: &headers,
                record: &record,
            })
            .map(|v| (line, v)),
            Err(_) => Err(RowError {
                line,
                column: String::new(),
                message: "not a valid CSV row".into(),
            }),
        });
    }
    Ok(rows)
}

/// `a, b and c`.
fn listed(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
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
        parse(csv.as_ref(), &["name"], |r| Ok(r.get("name").to_owned()))
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
