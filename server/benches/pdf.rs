//! The cost of a visitor type's images and papers: rendering one signed agreement as a PDF (a
//! page of text and a drawn signature), re-encoding a kiosk's photo and signature as the
//! check-in does, and a badge with a photo in each template (PDF) and as a Brother QL job.
//! `cargo bench -p vestibule-server --bench pdf`.

use std::{hint::black_box, io::Cursor};

use criterion::{Criterion, criterion_group, criterion_main};
use image::{DynamicImage, GrayAlphaImage, ImageFormat, LumaA, RgbImage};
use server::{badge, images, pdf};
use vestibule_shared::dto::badges::BadgeTemplate;

/// A signature pad of 600 × 200 with three strokes, as a PNG.
fn signature() -> Vec<u8> {
    let mut pad = GrayAlphaImage::from_pixel(600, 200, LumaA([255, 0]));
    for s in 0..3 {
        for x in 40..560 {
            for dy in 0..3 {
                pad.put_pixel(x, 60 + s * 30 + (x / 40) % 10 + dy, LumaA([0, 255]));
            }
        }
    }
    encoded(DynamicImage::ImageLumaA8(pad), ImageFormat::Png)
}

/// A camera frame of 1024 × 768, as the kiosk's JPEG.
fn photo() -> Vec<u8> {
    let img = RgbImage::from_fn(1024, 768, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    encoded(DynamicImage::ImageRgb8(img), ImageFormat::Jpeg)
}

fn encoded(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format)
        .expect("encode");
    out
}

fn papers(c: &mut Criterion) {
    let stored = images::signature(&signature()).expect("a signature");
    let img = images::stored_signature(&stored).expect("decodes");
    let ink = pdf::Ink {
        width: img.width(),
        height: img.height(),
        pixels: images::ink(&img),
    };
    let body =
        "Visitors keep to the marked paths and wear the badge where it can be seen. ".repeat(40);
    let agreement = pdf::SignedAgreement {
        title: "Site safety rules",
        body: &body,
        version: 3,
        language: "en",
        signer: "Zoë Quintessa-Marlowe",
        signed_at: "2026-12-04 09:30",
        site: "Paris HQ",
        sha256: "206fdcececbf0c1d7b0d5e7f8a9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b",
        signature: &ink,
    };
    c.bench_function("render a signed agreement (PDF)", |b| {
        b.iter(|| pdf::signed_agreement(black_box(&agreement)).expect("a PDF"))
    });
    let (photo, signature) = (photo(), signature());
    c.bench_function("re-encode a 1024x768 photo", |b| {
        b.iter(|| images::photo(black_box(&photo)).expect("a photo"))
    });
    c.bench_function("check and re-encode a signature", |b| {
        b.iter(|| images::signature(black_box(&signature)).expect("a signature"))
    });
    let stored_photo = images::photo(&photo).expect("a photo");
    let card = badge::Badge {
        name: "Zoë Quintessa-Marlowe",
        company: Some("Marlowe Optics Ltd"),
        host: Some("Host: Harriet Host"),
        site: "Paris HQ",
        date: "4 Dec 2026",
        visitor_type: Some("Contractor"),
        badge_code: "ABCD2345",
        photo: Some(&stored_photo),
        logo: None,
    };
    for template in BadgeTemplate::ALL {
        c.bench_function(
            &format!("render a badge, {} (PDF)", template.as_str()),
            |b| b.iter(|| badge::pdf(black_box(&card), template).expect("a PDF")),
        );
    }
    c.bench_function("render a badge, Brother QL raster job", |b| {
        b.iter(|| badge::brother_ql_62x100(black_box(&card)).expect("a job"))
    });
}

criterion_group!(benches, papers);
criterion_main!(benches);
