//! Every template with short, long, right-to-left, Chinese and emoji names: every text stays on
//! the label, every character has a glyph in the embedded fonts, and the outputs are well formed.

use std::sync::Arc;

use resvg::usvg::fontdb::{Database, Source};

use super::*;

const NAMES: [&str; 7] = [
    "A",
    "Marie-Christine Duval-Lefebvre",
    "Hubert Blaine Wolfeschlegelsteinhausenbergerdorff Senior of Bergen and the Northern Marches ok",
    "محمد عبد الرحمن الشريف",
    "欧阳 娜娜",
    "Zoë 🙂 Smith 🎉",
    "Ngozi Okonjo-Iweala",
];

fn badge(name: &str) -> Badge<'_> {
    Badge {
        name,
        company: Some("Acme Widgets International Holdings and Subsidiaries Limited"),
        host: Some("Host: Grace Hopper"),
        site: "Berlin HQ",
        date: "4 Dec 2026",
        visitor_type: Some("Contractor"),
        badge_code: "ABCD2345",
        photo: None,
        logo: None,
    }
}

#[test]
fn every_text_stays_on_every_label() {
    let long = "x".repeat(120);
    for template in BadgeTemplate::ALL {
        for name in NAMES
            .iter()
            .copied()
            .chain([long.as_str(), "Ab Cd ".repeat(20).trim()])
        {
            let tree = layout(&badge(name), template).expect("lays out");
            let (w, h) = (tree.size().width(), tree.size().height());
            let boxes = texts(tree.root());
            assert!(boxes.len() >= 6, "{template:?}: {} texts", boxes.len());
            for r in boxes {
                assert!(
                    r.left() >= 0.0 && r.right() <= w && r.top() >= 0.0 && r.bottom() <= h,
                    "{template:?}, a name of {} characters: a text at {r:?} leaves the {w}×{h} label",
                    name.chars().count()
                );
            }
        }
    }
}

#[test]
fn every_character_has_a_glyph() {
    let mut db = Database::new();
    for data in [
        &include_bytes!("../../assets/fonts/DejaVuSans.ttf")[..],
        &include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf")[..],
        &include_bytes!("../../assets/fonts/Symbola.ttf")[..],
    ] {
        db.load_font_source(Source::Binary(Arc::new(data)));
    }
    let ids: Vec<_> = db.faces().map(|f| f.id).collect();
    for c in NAMES.concat().chars().filter(|c| !c.is_whitespace()) {
        let found = ids.iter().any(|id| {
            db.with_face_data(*id, |data, index| {
                ttf_parser::Face::parse(data, index)
                    .ok()
                    .and_then(|f| f.glyph_index(c))
                    .is_some()
            })
            .unwrap_or(false)
        });
        assert!(found, "no embedded font has U+{:04X}", c as u32);
    }
}

#[test]
fn the_outputs_are_well_formed() {
    let b = badge("Ada Lovelace");
    for template in BadgeTemplate::ALL {
        let pdf = pdf(&b, template).expect("PDF");
        assert!(pdf.starts_with(b"%PDF-"), "{template:?}");
        let png = png(&b, template, 96.0).expect("PNG");
        assert!(png.starts_with(b"\x89PNG"), "{template:?}");
    }
    let job = brother_ql_62x100(&b).expect("QL job");
    let rows = job.windows(3).filter(|w| w == b"g\x00\x5a").count();
    assert!(rows >= 1109, "{rows} raster lines");
    assert_eq!(job.last(), Some(&0x1a));
}

#[test]
fn a_logo_svg_keeps_no_script_or_reference() {
    let evil = br#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><script>alert(1)</script><image href="file:///etc/passwd" width="5" height="5"/><rect width="10" height="10" fill="red" onclick="x()"/></svg>"#;
    let kept = String::from_utf8(logo(LogoFormat::Svg, evil).expect("a rectangle is a logo"))
        .expect("UTF-8");
    for bad in ["script", "passwd", "onclick", "href"] {
        assert!(!kept.contains(bad), "{bad} survived: {kept}");
    }
    assert!(logo(LogoFormat::Svg, b"<svg").is_err());
}
