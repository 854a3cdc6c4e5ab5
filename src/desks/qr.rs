//! QR codes for desk posters: SVG for print, PNG for messaging and slides.
//!
//! Error correction level M survives a scuffed laminated poster; a 22-character token keeps
//! the code at a low version that cheap phone cameras read from a distance.

use anyhow::Result;
use image::Luma;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use crate::db::desks::DeskInfo;
use crate::domain::DeskToken;

/// The URL a desk's QR code points to.
pub fn desk_url(base: &str, desk: &DeskInfo, key: &[u8]) -> String {
    let token = DeskToken {
        desk_id: desk.id,
        key_version: desk.key_version,
    }
    .sign(key);
    format!("{}/q/{token}", base.trim_end_matches('/'))
}

fn code(url: &str) -> Result<QrCode> {
    Ok(QrCode::with_error_correction_level(
        url.as_bytes(),
        EcLevel::M,
    )?)
}

/// An SVG element (no XML declaration), ready to inline in HTML or to save as a file.
pub fn svg(url: &str) -> Result<String> {
    let image = code(url)?
        .render::<svg::Color>()
        .min_dimensions(320, 320)
        .quiet_zone(true)
        .build();
    let start = image.find("<svg").unwrap_or(0);
    Ok(image[start..].to_owned())
}

/// A PNG file's bytes.
pub fn png(url: &str) -> Result<Vec<u8>> {
    png_of(url, 600)
}

/// A PNG at least `px` pixels wide (smaller files for pages printed by the thousand).
pub fn png_of(url: &str, px: u32) -> Result<Vec<u8>> {
    let image = code(url)?
        .render::<Luma<u8>>()
        .min_dimensions(px, px)
        .quiet_zone(true)
        .build();
    let mut bytes = Vec::new();
    image::DynamicImage::ImageLuma8(image).write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )?;
    Ok(bytes)
}
