//! The signed agreement and the evacuation roll call as PDFs (krilla, text in DejaVu Sans embedded and subset, so that any
//! PDF reader and `pdftotext` read it back): the document's title, version and full text, who
//! signed it, when and where, the SHA-256 of the version signed, and the signature itself, drawn
//! as vector runs of its ink pixels (exact, and no raster image codec to carry).

use std::sync::LazyLock;

use krilla::{
    Document,
    geom::{PathBuilder, Point, Rect},
    page::PageSettings,
    text::{Font, TextDirection},
};

use crate::error::Error;

/// DejaVu Sans (Bitstream Vera license, `assets/fonts/LICENSE-DejaVu.txt`): Latin, Greek,
/// Cyrillic, Arabic and Hebrew among others.
static FONT: LazyLock<Option<Font>> = LazyLock::new(|| {
    let data: &'static [u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
    Font::new(data.into(), 0)
});

/// A4 in points, its margin, and the text's size and leading.
const PAGE: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 56.0;
const SIZE: f32 = 10.0;
const LEADING: f32 = 14.0;
/// Characters a line of the body holds at [`SIZE`] (DejaVu Sans averages about 0.55 em).
const LINE_CHARS: usize = 84;
/// The box the signature is scaled into.
const SIGNATURE_BOX: (f32, f32) = (240.0, 90.0);

/// What the PDF of one signed agreement shows.
pub struct SignedAgreement<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub version: i32,
    pub language: &'a str,
    pub signer: &'a str,
    /// When, in the site's time, as people read it.
    pub signed_at: &'a str,
    pub site: &'a str,
    /// The SHA-256 of the text shown, in hex.
    pub sha256: &'a str,
    pub signature: &'a Ink,
}

/// A signature's ink: the image's size and its dark pixels (x, y), row by row.
pub struct Ink {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<(u32, u32)>,
}

/// Renders the PDF.
pub fn signed_agreement(a: &SignedAgreement<'_>) -> Result<Vec<u8>, Error> {
    let mut lines: Vec<(f32, String)> = vec![(16.0, a.title.to_owned()), (SIZE, String::new())];
    lines.push((
        9.0,
        format!("Version {} ({})", a.version, a.language.to_uppercase()),
    ));
    lines.push((SIZE, String::new()));
    for paragraph in a.body.split('\n') {
        lines.extend(wrap(paragraph).into_iter().map(|l| (SIZE, l)));
    }
    lines.push((SIZE, String::new()));
    lines.push((SIZE, format!("Signed by: {}", a.signer)));
    lines.push((SIZE, format!("Signed at: {} ({})", a.signed_at, a.site)));
    lines.push((9.0, format!("SHA-256 of this version: {}", a.sha256)));

    text_pages(lines, LEADING + SIGNATURE_BOX.1, |surface, y| {
        draw_signature(surface, a.signature, y + LEADING)
    })
}

/// One person of an evacuation's roll call, as the printed list shows them.
pub struct RollCallLine<'a> {
    pub name: &'a str,
    pub company: Option<&'a str>,
    pub host: &'a str,
    /// Checked in, in the site's time.
    pub checked_in: &'a str,
    /// "safe", "missing" or "not yet accounted for", and "checked out at …" when they left.
    pub status: &'a str,
}

/// The printable roll call: the site, when it started (and closed), the counts, and everyone who
/// was on site at the start with their status.
pub fn roll_call(heading: &[String], people: &[RollCallLine<'_>]) -> Result<Vec<u8>, Error> {
    let mut lines: Vec<(f32, String)> = Vec::new();
    for (i, h) in heading.iter().enumerate() {
        lines.push((if i == 0 { 16.0 } else { SIZE }, h.clone()));
    }
    lines.push((SIZE, String::new()));
    for p in people {
        let company = p.company.map(|c| format!(" ({c})")).unwrap_or_default();
        for l in wrap(&format!("{}{company}: {}", p.name, p.status)) {
            lines.push((SIZE, l));
        }
        lines.push((
            9.0,
            format!("    Host: {}; checked in {}", p.host, p.checked_in),
        ));
    }
    text_pages(lines, 0.0, |_, _| {})
}

/// Lines (size, text) set on A4 pages in DejaVu Sans; `last` draws under the last line, on the
/// last page, where `room` points are kept free (on a page of its own when the last is full).
fn text_pages(
    lines: Vec<(f32, String)>,
    room: f32,
    last: impl FnOnce(&mut krilla::surface::Surface<'_>, f32),
) -> Result<Vec<u8>, Error> {
    let font = FONT
        .clone()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the embedded font does not load")))?;
    let mut pages: Vec<Vec<(f32, f32, String)>> = vec![Vec::new()];
    let mut y = MARGIN;
    for (size, text) in lines {
        let step = LEADING.max(size * 1.4);
        if y + step > PAGE.1 - MARGIN {
            pages.push(Vec::new());
            y = MARGIN;
        }
        y += step;
        if let Some(page) = pages.last_mut() {
            page.push((y, size, text));
        }
    }
    if room > 0.0 && y + room > PAGE.1 - MARGIN {
        pages.push(Vec::new());
        y = MARGIN;
    }
    let count = pages.len();
    let mut last = Some(last);
    let mut document = Document::new();
    for (n, lines) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE.0, PAGE.1).unwrap_or_default();
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for (y, size, text) in lines.iter().filter(|l| !l.2.is_empty()) {
            let at = Point::from_xy(MARGIN, *y);
            surface.draw_text(at, font.clone(), *size, text, false, TextDirection::Auto);
        }
        if n + 1 == count
            && let Some(draw) = last.take()
        {
            draw(&mut surface, y);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| Error::Internal(anyhow::anyhow!("the PDF does not render: {e:?}")))
}

/// Draws the signature's ink, scaled into [`SIGNATURE_BOX`], its top at `top`.
fn draw_signature(surface: &mut krilla::surface::Surface<'_>, ink: &Ink, top: f32) {
    let (w, h) = (ink.width.max(1) as f32, ink.height.max(1) as f32);
    let scale = (SIGNATURE_BOX.0 / w).min(SIGNATURE_BOX.1 / h);
    let mut path = PathBuilder::new();
    // Runs of ink along each row, one rectangle each.
    let mut run: Option<(u32, u32, u32)> = None;
    let flush = |r: (u32, u32, u32), path: &mut PathBuilder| {
        let (y, x0, x1) = r;
        if let Some(rect) = Rect::from_xywh(
            MARGIN + x0 as f32 * scale,
            top + y as f32 * scale,
            (x1 - x0 + 1) as f32 * scale,
            scale,
        ) {
            path.push_rect(rect);
        }
    };
    for &(x, y) in &ink.pixels {
        run = match run {
            Some((ry, x0, x1)) if ry == y && x == x1 + 1 => Some((ry, x0, x)),
            Some(r) => {
                flush(r, &mut path);
                Some((y, x, x))
            }
            None => Some((y, x, x)),
        };
    }
    if let Some(r) = run {
        flush(r, &mut path);
    }
    if let Some(path) = path.finish() {
        surface.draw_path(&path);
    }
}

/// A paragraph in lines of at most [`LINE_CHARS`] characters, broken between words (a word
/// longer than a line is cut).
fn wrap(paragraph: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in paragraph.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > LINE_CHARS {
            let rest = word.split_off(LINE_CHARS);
            lines.push(word.iter().collect());
            word = rest;
        }
        let last = lines.last_mut().map_or(0, |l| l.chars().count());
        if last > 0 && last + 1 + word.len() > LINE_CHARS {
            lines.push(String::new());
        }
        if let Some(line) = lines.last_mut() {
            if !line.is_empty() {
                line.push(' ');
            }
            line.extend(word);
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_wrap_between_words_within_the_line() {
        let text = "word ".repeat(60);
        let lines = wrap(&text);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.chars().count() <= LINE_CHARS));
        assert_eq!(lines.join(" ").split_whitespace().count(), 60);
        assert_eq!(wrap(""), vec![String::new()]);
    }
}
