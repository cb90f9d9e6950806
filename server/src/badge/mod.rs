//! A visitor's badge, rendered on the server (the kiosk keeps nothing, so it never composes a
//! badge from stored data): composed as SVG for a template (`svg.rs`, text fitted by `fit.rs`),
//! laid out by usvg with the embedded fonts (`fonts.rs`: shaping, right-to-left, fallback from
//! script to script), then written as a PDF with real, searchable text (krilla-svg), or
//! rasterised (resvg) into a preview PNG or a Brother QL's 1-bit raster job (`ql.rs`).

mod fit;
mod fonts;
mod ql;
mod svg;

use krilla::{Document, geom::Size, page::PageSettings};
use krilla_svg::{SurfaceExt, SvgSettings};
use resvg::{
    tiny_skia::{Color, Pixmap, Transform},
    usvg::{self, Node, Tree},
};
use vestibule_shared::dto::badges::BadgeTemplate;

pub use ql::brother_ql_62x100;

use crate::error::Error;

/// What a badge shows. Texts are as people read them (the date in the site's time zone).
pub struct Badge<'a> {
    pub name: &'a str,
    pub company: Option<&'a str>,
    /// "Host: …", as the badge says it.
    pub host: Option<&'a str>,
    pub site: &'a str,
    pub date: &'a str,
    pub visitor_type: Option<&'a str>,
    pub badge_code: &'a str,
    /// The visitor's photo (JPEG), if their type took one.
    pub photo: Option<&'a [u8]>,
    /// The tenant's logo, as stored (validated by [`logo`]).
    pub logo: Option<(&'a [u8], LogoFormat)>,
}

/// A logo's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoFormat {
    Png,
    Svg,
}

impl LogoFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Svg => "image/svg+xml",
        }
    }

    pub fn from_content_type(s: &str) -> Option<Self> {
        match s {
            "image/png" => Some(Self::Png),
            "image/svg+xml" => Some(Self::Svg),
            _ => None,
        }
    }
}

/// A logo as stored: a PNG re-encoded, or an SVG parsed (without fonts or files beyond what is
/// embedded) and written anew by usvg, so no script, link, style sheet or external reference
/// survives. Refused (`InvalidInput`) when it does not parse or draws nothing.
pub fn logo(format: LogoFormat, bytes: &[u8]) -> Result<Vec<u8>, Error> {
    match format {
        LogoFormat::Png => crate::images::logo(bytes),
        LogoFormat::Svg => {
            let tree = Tree::from_data(bytes, &fonts::options())
                .map_err(|_| Error::InvalidInput("logo: is not a readable SVG image".into()))?;
            if !tree.root().has_children() {
                return Err(Error::InvalidInput("logo: draws nothing".into()));
            }
            Ok(tree.to_string(&usvg::WriteOptions::default()).into_bytes())
        }
    }
}

/// The badge laid out, with every text inside the label (checked on the layout itself; a text
/// laid out wider than measured is set again in narrower boxes).
pub fn layout(b: &Badge<'_>, template: BadgeTemplate) -> Result<Tree, Error> {
    let mut squeeze = 1.0;
    loop {
        let source = svg::compose(b, template, squeeze)?;
        let tree = Tree::from_str(&source, &fonts::options())
            .map_err(|e| Error::Internal(anyhow::anyhow!("badge layout: {e}")))?;
        // The tree is in CSS pixels; keep 1 mm clear at the sides.
        let (w, h) = (tree.size().width(), tree.size().height());
        let edge = w / template.size_mm().0;
        let inside = texts(tree.root()).iter().all(|r| {
            r.left() >= edge && r.right() <= w - edge && r.top() >= 0.0 && r.bottom() <= h
        });
        if inside || squeeze < 0.7 {
            return Ok(tree);
        }
        squeeze -= 0.1;
    }
}

/// The boxes of every text in a group, in the tree's pixels.
pub fn texts(group: &usvg::Group) -> Vec<usvg::Rect> {
    let mut out = Vec::new();
    for node in group.children() {
        match node {
            Node::Text(t) => out.push(t.abs_bounding_box()),
            Node::Group(g) => out.extend(texts(g)),
            _ => {}
        }
    }
    out
}

/// The badge as a one-page PDF of the template's size, its text real text.
pub fn pdf(b: &Badge<'_>, template: BadgeTemplate) -> Result<Vec<u8>, Error> {
    let tree = layout(b, template)?;
    let (w, h) = template.size_mm();
    let (pw, ph) = (w * 72.0 / 25.4, h * 72.0 / 25.4);
    let broken = |what: &str| Error::Internal(anyhow::anyhow!("badge PDF: {what}"));
    let mut document = Document::new();
    let mut page =
        document.start_page_with(PageSettings::from_wh(pw, ph).ok_or_else(|| broken("page size"))?);
    let mut surface = page.surface();
    surface
        .draw_svg(
            &tree,
            Size::from_wh(pw, ph).ok_or_else(|| broken("size"))?,
            SvgSettings::default(),
        )
        .ok_or_else(|| broken("drawing"))?;
    surface.finish();
    page.finish();
    document.finish().map_err(|e| broken(&format!("{e:?}")))
}

/// The badge drawn into `width` × `height` pixels, on white, centred and scaled to fit.
pub fn pixmap(
    b: &Badge<'_>,
    template: BadgeTemplate,
    width: u32,
    height: u32,
) -> Result<Pixmap, Error> {
    let tree = layout(b, template)?;
    let mut pixmap = Pixmap::new(width, height)
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("badge raster: size")))?;
    pixmap.fill(Color::WHITE);
    let size = tree.size();
    let scale = (width as f32 / size.width()).min(height as f32 / size.height());
    let dx = (width as f32 - size.width() * scale) / 2.0;
    let dy = (height as f32 - size.height() * scale) / 2.0;
    resvg::render(
        &tree,
        Transform::from_row(scale, 0.0, 0.0, scale, dx, dy),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
}

/// A preview of the badge as a PNG, at `dpi`.
pub fn png(b: &Badge<'_>, template: BadgeTemplate, dpi: f32) -> Result<Vec<u8>, Error> {
    let (w, h) = template.size_mm();
    let px = |mm: f32| (mm / 25.4 * dpi).round() as u32;
    pixmap(b, template, px(w), px(h))?
        .encode_png()
        .map_err(|e| Error::Internal(anyhow::anyhow!("badge PNG: {e}")))
}

#[cfg(test)]
mod tests;
