//! A badge composed as SVG, in millimetres, for one template: the logo and the site at the top,
//! the photo, the visitor's name as large as it fits, the company, the visitor type on a dark
//! band, and at the bottom the QR code of the badge code beside the host, the date and the code.
//! Every text is fitted to its box (`fit.rs`); nothing is placed outside the label.

use std::fmt::Write as _;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use qrcode::{Color, EcLevel, QrCode};
use vestibule_shared::dto::badges::BadgeTemplate;

use super::{
    Badge, LogoFormat,
    fit::{self, Fitted, LEADING, Sizes},
};
use crate::error::Error;

/// `s` safe inside an XML text node or attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The badge's SVG. `squeeze` (1.0, then less) narrows the text boxes, for a second attempt
/// when a laid-out text came out wider than measured.
pub fn compose(b: &Badge<'_>, template: BadgeTemplate, squeeze: f32) -> Result<String, Error> {
    let (w, h) = template.size_mm();
    let k = w / 62.0;
    let m = 3.0 * k;
    let inner = (w - 2.0 * m) * squeeze;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}"><rect width="{w}" height="{h}" fill="#fff"/>"##
    );

    // The top: logo on the left, the site on the right.
    let header = 9.0 * k;
    if let Some((data, format)) = b.logo {
        let mime = match format {
            LogoFormat::Png => "image/png",
            LogoFormat::Svg => "image/svg+xml",
        };
        write!(
            svg,
            r#"<image x="{m}" y="{m}" width="{}" height="{header}" preserveAspectRatio="xMinYMid meet" href="data:{mime};base64,{}"/>"#,
            w * 0.45,
            STANDARD.encode(data)
        )
        .ok();
    }
    let site = fit::line(b.site, inner * 0.48, 3.0 * k, 2.2 * k);
    text(
        &mut svg,
        &site,
        w - m,
        m + header / 2.0 + site.size * 0.35,
        "end",
        "#000",
    );

    let mut top = m + header + 1.5 * k;
    if let Some(photo) = b.photo {
        let (pw, ph) = (20.0 * k, 24.0 * k);
        write!(
            svg,
            r#"<image x="{}" y="{top}" width="{pw}" height="{ph}" preserveAspectRatio="xMidYMid meet" href="data:image/jpeg;base64,{}"/>"#,
            (w - pw) / 2.0,
            STANDARD.encode(photo)
        )
        .ok();
        top += ph + 1.5 * k;
    }

    // The bottom row (QR and details), then the type band and the company above it.
    let qr = 21.0 * k;
    let bottom = h - m - qr;
    let band = 5.5 * k;
    let band_top = bottom - 2.0 * k - band;
    let mut name_bottom = band_top - 1.0 * k;
    if let Some(t) = b.visitor_type {
        write!(
            svg,
            r##"<rect x="{m}" y="{band_top}" width="{}" height="{band}" fill="#000"/>"##,
            w - 2.0 * m
        )
        .ok();
        let f = fit::line(t, inner - 2.0 * k, 3.4 * k, 2.2 * k);
        text(
            &mut svg,
            &f,
            w / 2.0,
            band_top + band / 2.0 + f.size * 0.35,
            "middle",
            "#fff",
        );
    }
    if let Some(c) = b.company {
        let f = fit::line(c, inner, 4.2 * k, 2.6 * k);
        text(
            &mut svg,
            &f,
            w / 2.0,
            name_bottom - f.size * 0.3,
            "middle",
            "#000",
        );
        name_bottom -= f.size * LEADING + 0.5 * k;
    }

    // The name, centred in what is left.
    let room = (name_bottom - top).max(3.0 * k);
    let sizes = Sizes {
        max: 9.0 * k,
        single: 5.0 * k,
        floor: 2.4 * k,
    };
    let name = fit::block(b.name, inner, room, sizes);
    let block = name.lines.len() as f32 * name.size * LEADING;
    let first = top + (room - block) / 2.0 + name.size * 0.95;
    text(&mut svg, &name, w / 2.0, first, "middle", "#000");

    qr_code(&mut svg, b.badge_code, m, bottom, qr)?;
    let x = m + qr + 2.0 * k;
    let room = w - m - x;
    let mut y = bottom + 3.5 * k;
    if let Some(host) = b.host {
        let f = fit::line(host, room, 3.0 * k, 2.0 * k);
        text(&mut svg, &f, x, y, "start", "#000");
        y += 4.5 * k;
    }
    let f = fit::line(b.date, room, 2.8 * k, 2.0 * k);
    text(&mut svg, &f, x, y, "start", "#000");
    let f = fit::line(b.badge_code, room, 4.0 * k, 2.4 * k);
    text(&mut svg, &f, x, bottom + qr - 1.0 * k, "start", "#000");
    svg.push_str("</svg>");
    Ok(svg)
}

/// Fitted lines, the first baseline at `y`.
fn text(svg: &mut String, f: &Fitted, x: f32, y: f32, anchor: &str, fill: &str) {
    for (i, line) in f.lines.iter().enumerate() {
        write!(
            svg,
            r#"<text x="{x}" y="{}" font-size="{}" text-anchor="{anchor}" fill="{fill}" xml:space="preserve">{}</text>"#,
            y + i as f32 * f.size * LEADING,
            f.size,
            escape(line)
        )
        .ok();
    }
}

/// The badge code's QR code as one path of dark modules (crisp edges, so a label printer's
/// dots stay square), `size` wide with its quiet zone.
fn qr_code(svg: &mut String, code: &str, x: f32, y: f32, size: f32) -> Result<(), Error> {
    let qr = QrCode::with_error_correction_level(code.as_bytes(), EcLevel::M)
        .map_err(|e| Error::Internal(anyhow::anyhow!("QR code: {e}")))?;
    let n = qr.width();
    let quiet = 2;
    let unit = size / (n + 2 * quiet) as f32;
    let mut d = String::new();
    for (i, c) in qr.to_colors().iter().enumerate() {
        if *c == Color::Dark {
            write!(d, "M{} {}h1v1h-1z", i % n + quiet, i / n + quiet).ok();
        }
    }
    write!(
        svg,
        r##"<path transform="translate({x} {y}) scale({unit})" shape-rendering="crispEdges" fill="#000" d="{d}"/>"##
    )
    .ok();
    Ok(())
}
