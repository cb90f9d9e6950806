//! Fitting text into a box: measured with the real fonts and shaping (usvg lays the words out
//! once, at one size, and widths scale with the size), a line shrinks first, then wraps at
//! spaces (or between characters, for a word wider than the line), and at the smallest size
//! what still does not fit is cut with an ellipsis. Never wider or taller than the box.

use std::collections::HashMap;

use resvg::usvg::{Node, Tree};
use unicode_segmentation::UnicodeSegmentation;

use super::{fonts, svg::escape};

/// The size words are measured at.
const PROBE: f32 = 100.0;
/// Lines advance by this many times the size.
pub const LEADING: f32 = 1.2;
/// Widths are taken this much larger than measured, for kerning across words.
const SLACK: f32 = 1.03;

/// Text set in lines at one size.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub size: f32,
    pub lines: Vec<String>,
}

/// The sizes a text may take, largest first: one line down to `single`, then wrapped down to
/// `floor`.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub max: f32,
    pub single: f32,
    pub floor: f32,
}

/// Widths of pieces of text, in ems, measured together in one layout.
struct Widths(HashMap<String, f32>);

impl Widths {
    fn measure<'a>(pieces: impl IntoIterator<Item = &'a str>) -> Widths {
        let mut pieces: Vec<&str> = pieces.into_iter().collect();
        pieces.extend(["n n", "nn", "…"]);
        pieces.sort_unstable();
        pieces.dedup();
        let mut svg =
            String::from(r#"<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="200">"#);
        for (i, p) in pieces.iter().enumerate() {
            svg.push_str(&format!(
                r#"<text id="m{i}" x="0" y="{PROBE}" font-size="{PROBE}" xml:space="preserve">{}</text>"#,
                escape(p)
            ));
        }
        svg.push_str("</svg>");
        let mut out = HashMap::new();
        if let Ok(tree) = Tree::from_str(&svg, &fonts::options()) {
            for node in tree.root().children() {
                if let Node::Text(t) = node
                    && let Some(i) = t
                        .id()
                        .strip_prefix('m')
                        .and_then(|i| i.parse::<usize>().ok())
                    && let Some(p) = pieces.get(i)
                {
                    out.insert((*p).to_owned(), t.bounding_box().width() / PROBE * SLACK);
                }
            }
        }
        Widths(out)
    }

    /// A piece's width in ems; an unmeasured piece counts as very wide (so it is cut, never
    /// drawn past the edge).
    fn of(&self, piece: &str) -> f32 {
        self.0.get(piece).copied().unwrap_or(f32::MAX / 4.0)
    }

    fn space(&self) -> f32 {
        (self.of("n n") - self.of("nn")).max(0.2)
    }
}

/// `text` in a box `width` × `height` (the same units as the sizes).
pub fn block(text: &str, width: f32, height: f32, sizes: Sizes) -> Fitted {
    fit(text, width, height, sizes).0
}

/// [`block`], and the widths it measured (of its words and characters).
fn fit(text: &str, width: f32, height: f32, sizes: Sizes) -> (Fitted, Widths) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let graphemes: Vec<&str> = text
        .graphemes(true)
        .filter(|g| !g.trim().is_empty())
        .collect();
    let widths = Widths::measure(words.iter().copied().chain(graphemes.iter().copied()));
    let one_line = words.join(" ");
    let line_width = |w: &[&str]| -> f32 {
        w.iter().map(|w| widths.of(w)).sum::<f32>()
            + widths.space() * w.len().saturating_sub(1) as f32
    };
    let mut size = sizes.max;
    while size >= sizes.single {
        if line_width(&words) * size <= width && size * LEADING <= height {
            let fitted = Fitted {
                size,
                lines: vec![one_line],
            };
            return (fitted, widths);
        }
        size *= 0.92;
    }
    loop {
        let lines = wrap(&words, width / size, &widths);
        let fits = lines.len() as f32 * size * LEADING <= height;
        if fits || size * 0.92 < sizes.floor {
            let most = ((height / (size * LEADING)).floor() as usize).max(1);
            let lines = cut(lines, most, width / size, &widths);
            return (Fitted { size, lines }, widths);
        }
        size *= 0.92;
    }
}

/// `text` on one line of `width`: shrunk down to `min`, then cut with an ellipsis.
pub fn line(text: &str, width: f32, max: f32, min: f32) -> Fitted {
    let sizes = Sizes {
        max,
        single: min,
        floor: min,
    };
    let (f, widths) = fit(text, width, max * LEADING, sizes);
    Fitted {
        size: f.size,
        lines: cut(f.lines, 1, width / f.size, &widths),
    }
}

/// Words into lines at most `em` wide; a word wider than a line is broken between characters.
fn wrap(words: &[&str], em: f32, widths: &Widths) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut used = 0.0;
    for word in words {
        let w = widths.of(word);
        let gap = if current.is_empty() {
            0.0
        } else {
            widths.space()
        };
        if used + gap + w <= em {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
            used += gap + w;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
            used = 0.0;
        }
        if w <= em {
            current.push_str(word);
            used = w;
            continue;
        }
        for g in word.graphemes(true) {
            let gw = widths.of(g);
            if used + gw > em && !current.is_empty() {
                lines.push(std::mem::take(&mut current));
                used = 0.0;
            }
            current.push_str(g);
            used += gw;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// At most `most` lines, each at most `em` wide: what is left over is cut, and the last line kept
/// ends with an ellipsis.
fn cut(mut lines: Vec<String>, most: usize, em: f32, widths: &Widths) -> Vec<String> {
    let cut_short = lines.len() > most;
    lines.truncate(most);
    let Some(last) = lines.pop() else {
        return lines;
    };
    let width = |s: &str| -> f32 {
        s.graphemes(true)
            .map(|g| {
                if g.trim().is_empty() {
                    widths.space()
                } else {
                    widths.of(g)
                }
            })
            .sum()
    };
    if !cut_short && width(&last) <= em {
        lines.push(last);
        return lines;
    }
    let mut kept = String::new();
    let mut used = widths.of("…");
    for g in last.graphemes(true) {
        let gw = if g.trim().is_empty() {
            widths.space()
        } else {
            widths.of(g)
        };
        if used + gw > em {
            break;
        }
        kept.push_str(g);
        used += gw;
    }
    lines.push(format!("{}…", kept.trim_end()));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: Sizes = Sizes {
        max: 9.0,
        single: 5.0,
        floor: 2.4,
    };

    #[test]
    fn a_short_name_stays_large_on_one_line() {
        let f = block("Ada", 56.0, 22.0, SIZES);
        assert_eq!(f.lines, vec!["Ada".to_owned()]);
        assert!((f.size - 9.0).abs() < f32::EPSILON);
    }

    #[test]
    fn a_longer_name_shrinks_before_it_wraps() {
        let f = block("Ada Ostermann", 56.0, 22.0, SIZES);
        assert_eq!(f.lines.len(), 1, "{f:?}");
        assert!(f.size < 9.0 && f.size >= 5.0, "{f:?}");
    }

    #[test]
    fn a_very_long_name_wraps_and_never_spills() {
        let name = "Wolfeschlegelsteinhausenbergerdorff ".repeat(4);
        let f = block(name.trim(), 56.0, 22.0, SIZES);
        assert!(f.lines.len() > 1, "{f:?}");
        assert!(
            f.lines.len() as f32 * f.size * LEADING <= 22.0 + 1e-3,
            "{f:?}"
        );
    }

    #[test]
    fn a_single_line_is_cut_with_an_ellipsis() {
        let f = line(&"Company ".repeat(30), 40.0, 4.0, 2.6);
        assert_eq!(f.lines.len(), 1);
        assert!(f.lines[0].ends_with('…'), "{f:?}");
    }
}
