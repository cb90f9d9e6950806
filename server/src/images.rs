//! The images a kiosk sends with a check-in: the visitor's photo and their signature. Each is
//! decoded by a real decoder inside limits (format, dimensions, memory: a decompression bomb is
//! refused before it is inflated) and re-encoded, so that what is sealed and stored is a fresh
//! image without the sender's metadata (EXIF, GPS, comments) or anything else hidden in its bytes.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits, codecs::jpeg::JpegEncoder};

use crate::error::Error;

/// The largest width or height decoded.
pub const MAX_SIDE: u32 = 4096;
/// The most memory one decode may take.
const MAX_ALLOC: u64 = 80 * 1024 * 1024;
/// A stored photo's longest side.
pub const PHOTO_SIDE: u32 = 800;
/// A stored logo's longest side.
pub const LOGO_SIDE: u32 = 1200;
/// The JPEG quality of a stored photo.
const PHOTO_QUALITY: u8 = 85;
/// The fewest dark pixels a signature has (a dot or an empty pad is no signature).
const MIN_INK: usize = 200;

/// Decodes `bytes` as one of `formats`, inside the limits; `field` names the field refused.
fn decode(bytes: &[u8], formats: &[ImageFormat], field: &str) -> Result<DynamicImage, Error> {
    let refuse = |why: &str| Error::InvalidInput(format!("{field}: {why}"));
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| refuse("is not an image"))?;
    if !reader.format().is_some_and(|f| formats.contains(&f)) {
        let names: Vec<&str> = formats.iter().map(|f| f.extensions_str()[0]).collect();
        return Err(refuse(&format!(
            "must be an image of {}",
            names.join(" or ")
        )));
    }
    reader.limits(limits_of());
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => refuse(&format!(
            "must be at most {MAX_SIDE} pixels a side and {} MiB decoded",
            MAX_ALLOC >> 20
        )),
        _ => refuse("is not a readable image"),
    })
}

/// The decoder's limits: a decompression bomb stops at its header.
fn limits_of() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

/// A visitor's photo (JPEG or PNG) as stored: a JPEG of at most [`PHOTO_SIDE`] pixels a side.
pub fn photo(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let img = decode(bytes, &[ImageFormat::Jpeg, ImageFormat::Png], "photo")?;
    let img = if img.width() > PHOTO_SIDE || img.height() > PHOTO_SIDE {
        img.thumbnail(PHOTO_SIDE, PHOTO_SIDE)
    } else {
        img
    };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, PHOTO_QUALITY)
        .encode_image(&img.to_rgb8())
        .map_err(|e| Error::Internal(e.into()))?;
    Ok(out)
}

/// A signature (PNG) as stored: a fresh PNG, refused when blank.
pub fn signature(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let img = decode(bytes, &[ImageFormat::Png], "signature")?;
    if ink(&img).len() < MIN_INK {
        return Err(Error::InvalidInput(
            "signature: is empty; the visitor must sign".into(),
        ));
    }
    let mut out = Vec::new();
    DynamicImage::ImageLumaA8(img.to_luma_alpha8())
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(|e| Error::Internal(e.into()))?;
    Ok(out)
}

/// A tenant's logo (PNG) as stored: a fresh PNG of at most [`LOGO_SIDE`] pixels a side.
pub fn logo(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let img = decode(bytes, &[ImageFormat::Png], "logo")?;
    let img = if img.width() > LOGO_SIDE || img.height() > LOGO_SIDE {
        img.thumbnail(LOGO_SIDE, LOGO_SIDE)
    } else {
        img
    };
    let mut out = Vec::new();
    DynamicImage::ImageRgba8(img.to_rgba8())
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(|e| Error::Internal(e.into()))?;
    Ok(out)
}

/// The dark, opaque pixels (x, y) of an image: a signature's ink.
pub fn ink(img: &DynamicImage) -> Vec<(u32, u32)> {
    img.to_luma_alpha8()
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[1] >= 128 && p.0[0] < 128)
        .map(|(x, y, _)| (x, y))
        .collect()
}

/// Decodes a stored signature (for the PDF).
pub fn stored_signature(bytes: &[u8]) -> Result<DynamicImage, Error> {
    image::load_from_memory_with_format(bytes, ImageFormat::Png)
        .map_err(|e| Error::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayAlphaImage, LumaA, RgbImage};

    fn png(img: DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("encode");
        out
    }

    #[test]
    fn a_photo_is_re_encoded_smaller_and_a_non_image_refused() {
        let big =
            DynamicImage::ImageRgb8(RgbImage::from_pixel(2000, 1000, image::Rgb([9, 99, 199])));
        let stored = photo(&png(big)).expect("a photo");
        let back = image::load_from_memory(&stored).expect("decodes");
        assert_eq!((back.width(), back.height()), (800, 400));
        assert!(matches!(
            photo(b"not an image at all"),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn a_blank_signature_is_refused_and_a_drawn_one_kept() {
        let mut pad = GrayAlphaImage::from_pixel(300, 100, LumaA([255, 0]));
        assert!(matches!(
            signature(&png(DynamicImage::ImageLumaA8(pad.clone()))),
            Err(Error::InvalidInput(_))
        ));
        for x in 20..280 {
            for y in 48..52 {
                pad.put_pixel(x, y, LumaA([0, 255]));
            }
        }
        let stored = signature(&png(DynamicImage::ImageLumaA8(pad))).expect("a signature");
        assert_eq!(
            ink(&stored_signature(&stored).expect("decodes")).len(),
            260 * 4
        );
    }
}
