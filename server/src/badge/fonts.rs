//! The fonts a badge is set in, embedded in the binary so that any name renders the same on
//! every machine: DejaVu Sans (Latin, Greek, Cyrillic, Arabic, Hebrew and more), Droid Sans
//! Fallback (Chinese, Japanese, Korean) and Symbola (symbols and emoji, as outlines, which print
//! cleanly in one colour). Licences beside them in `server/assets/fonts`. usvg picks, character by
//! character, the first of them that has a glyph.

use std::sync::{Arc, LazyLock};

use resvg::usvg::{
    self, ImageHrefResolver,
    fontdb::{Database, Source},
};

/// The family text asks for first.
pub const FAMILY: &str = "DejaVu Sans";

static FONTS: LazyLock<Arc<Database>> = LazyLock::new(|| {
    let files: [&'static [u8]; 3] = [
        include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf"),
        include_bytes!("../../assets/fonts/Symbola.ttf"),
    ];
    let mut db = Database::new();
    for data in files {
        db.load_font_source(Source::Binary(Arc::new(data)));
    }
    db.set_sans_serif_family(FAMILY);
    Arc::new(db)
});

/// Parsing options: the embedded fonts only, and images from `data:` URLs only (never a file or
/// a URL: a logo's SVG cannot make the server read anything).
pub fn options() -> usvg::Options<'static> {
    usvg::Options {
        font_family: FAMILY.to_owned(),
        fontdb: FONTS.clone(),
        image_href_resolver: ImageHrefResolver {
            resolve_data: ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    }
}
