//! A Brother QL print job (its raster command language, as Brother documents it for the QL-700,
//! QL-800 and QL-820NWB) for a 62 × 100 mm die-cut label at 300 dpi: the badge rasterised into
//! the label's 696 × 1109 printable dots, dithered to black and white, and sent as raster lines of
//! the print head's 720 dots (mirrored, as the head prints them), then cut.

use resvg::tiny_skia::Pixmap;
use vestibule_shared::dto::badges::BadgeTemplate;

use super::{Badge, pixmap};
use crate::error::Error;

/// The label's printable dots (width, length) and the dots right of them on the 720-dot head.
const PRINTABLE: (u32, u32) = (696, 1109);
const RIGHT_MARGIN: u32 = 12;
const HEAD: u32 = 720;

/// The badge as a Brother QL job for 62 × 100 mm die-cut labels.
pub fn brother_ql_62x100(b: &Badge<'_>) -> Result<Vec<u8>, Error> {
    let image = pixmap(b, BadgeTemplate::Brother62x100, PRINTABLE.0, PRINTABLE.1)?;
    let rows = dither(&image);
    let lines = u32::try_from(rows.len()).unwrap_or(PRINTABLE.1);
    let mut job = vec![0u8; 200]; // invalidate: clears a half-received job
    job.extend_from_slice(b"\x1b@"); // initialise
    job.extend_from_slice(b"\x1bia\x01"); // raster mode
    // Media and quality: kind, width and length valid, high quality; die-cut, 62 mm, 100 mm.
    job.extend_from_slice(&[
        0x1b,
        b'i',
        b'z',
        0x80 | 0x02 | 0x04 | 0x08 | 0x40,
        0x0b,
        62,
        100,
    ]);
    job.extend_from_slice(&lines.to_le_bytes());
    job.extend_from_slice(&[0, 0]); // the first page; reserved
    job.extend_from_slice(b"\x1biM\x40"); // cut automatically
    job.extend_from_slice(b"\x1biA\x01"); // after every label
    job.extend_from_slice(b"\x1biK\x08"); // and at the end
    job.extend_from_slice(b"\x1bid\x00\x00"); // no feed margin on die-cut labels
    job.extend_from_slice(b"M\x00"); // raster lines uncompressed
    for row in rows {
        job.extend_from_slice(&[b'g', 0x00, 90]);
        job.extend_from_slice(&row);
    }
    job.push(0x1a); // print this last page
    Ok(job)
}

/// The image as the head's rows: 90 bytes each, most significant bit first, 1 for a black dot,
/// mirrored, the label placed [`RIGHT_MARGIN`] dots from the head's right end. Grey (a photo) is
/// dithered by error diffusion (Floyd–Steinberg).
fn dither(image: &Pixmap) -> Vec<[u8; 90]> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut grey: Vec<f32> = image
        .pixels()
        .iter()
        .map(|p| {
            let c = p.demultiply();
            0.299 * f32::from(c.red()) + 0.587 * f32::from(c.green()) + 0.114 * f32::from(c.blue())
        })
        .collect();
    let left = (HEAD - PRINTABLE.0 - RIGHT_MARGIN) as usize;
    let mut rows = vec![[0u8; 90]; h];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let old = grey[i];
            let black = old < 128.0;
            let err = old - if black { 0.0 } else { 255.0 };
            for (dx, dy, f) in [(1i64, 0usize, 7.0), (-1, 1, 3.0), (0, 1, 5.0), (1, 1, 1.0)] {
                let nx = x as i64 + dx;
                if nx >= 0 && (nx as usize) < w && y + dy < h {
                    grey[(y + dy) * w + nx as usize] += err * f / 16.0;
                }
            }
            if black {
                // The head prints its dots mirrored: the image's left is the head's right.
                let dot = HEAD as usize - 1 - (left + x);
                rows[y][dot / 8] |= 0x80 >> (dot % 8);
            }
        }
    }
    rows
}
