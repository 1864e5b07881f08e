//! The demo's images, drawn here (no downloaded photos): charts of what two stories report and a
//! decorative pattern, 1600 × 900 pixels (wide enough for social cards), as PNG.

use image::{Rgb, RgbImage};

const WIDTH: u32 = 1600;
const HEIGHT: u32 = 900;
const PAPER: Rgb<u8> = Rgb([248, 246, 240]);
const INK: Rgb<u8> = Rgb([33, 52, 71]);
const TEAL: Rgb<u8> = Rgb([0, 121, 130]);
const MUTED: Rgb<u8> = Rgb([205, 210, 214]);

fn blend(under: Rgb<u8>, over: Rgb<u8>, cover: f32) -> Rgb<u8> {
    let mix = |a: u8, b: u8| (f32::from(a) * (1.0 - cover) + f32::from(b) * cover).round() as u8;
    Rgb([
        mix(under[0], over[0]),
        mix(under[1], over[1]),
        mix(under[2], over[2]),
    ])
}

/// A filled circle with a softened edge.
fn disc(image: &mut RgbImage, cx: f32, cy: f32, radius: f32, color: Rgb<u8>) {
    let (w, h) = image.dimensions();
    let x0 = (cx - radius - 1.0).max(0.0) as u32;
    let y0 = (cy - radius - 1.0).max(0.0) as u32;
    let x1 = ((cx + radius + 1.0) as u32).min(w - 1);
    let y1 = ((cy + radius + 1.0) as u32).min(h - 1);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
            let cover = (radius + 0.5 - d).clamp(0.0, 1.0);
            if cover > 0.0 {
                let under = *image.get_pixel(x, y);
                image.put_pixel(x, y, blend(under, color, cover));
            }
        }
    }
}

fn rect(image: &mut RgbImage, x: u32, y: u32, w: u32, h: u32, color: Rgb<u8>) {
    for yy in y..(y + h).min(image.height()) {
        for xx in x..(x + w).min(image.width()) {
            image.put_pixel(xx, yy, color);
        }
    }
}

fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("encoding to memory");
    out
}

use image::ImageEncoder as _;

/// 120 dots, 11 of them coloured: one in eleven.
pub fn one_in_eleven() -> Vec<u8> {
    let mut image = RgbImage::from_pixel(WIDTH, HEIGHT, PAPER);
    let (columns, rows) = (15u32, 8u32);
    let step = 86.0;
    let left = (WIDTH as f32 - step * (columns - 1) as f32) / 2.0;
    let top = (HEIGHT as f32 - step * (rows - 1) as f32) / 2.0;
    for n in 0..columns * rows {
        let (col, row) = (n % columns, n / columns);
        let color = if n < 11 { TEAL } else { MUTED };
        disc(
            &mut image,
            left + col as f32 * step,
            top + row as f32 * step,
            30.0,
            color,
        );
    }
    png(&image)
}

/// Two bars: a systolic target of 140 mm Hg and one of 120, on a scale from 0 to 160.
pub fn two_targets() -> Vec<u8> {
    let mut image = RgbImage::from_pixel(WIDTH, HEIGHT, PAPER);
    let base = 800u32;
    let scale = 4.4f32;
    rect(&mut image, 200, base, 1200, 6, INK);
    for (x, value, color) in [(430u32, 140.0f32, MUTED), (930, 120.0, TEAL)] {
        let height = (value * scale) as u32;
        rect(&mut image, x, base - height, 240, height, color);
    }
    // Gridlines every 20 mm Hg.
    for step in 1..=8u32 {
        let y = base - (step as f32 * 20.0 * scale) as u32;
        for x in (200..1400).step_by(16) {
            rect(&mut image, x, y, 8, 2, MUTED);
        }
    }
    png(&image)
}

/// Olive-green circles on a warm ground: decoration, no information.
pub fn olive_pattern() -> Vec<u8> {
    let mut image = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let t = (x + y) as f32 / (WIDTH + HEIGHT) as f32;
        blend(Rgb([244, 236, 214]), Rgb([222, 214, 170]), t)
    });
    let olive = Rgb([96, 110, 52]);
    let leaf = Rgb([146, 158, 84]);
    for n in 0..60u32 {
        // A fixed scatter: the same picture every time.
        let x = (n * 397 % WIDTH) as f32;
        let y = (n * 211 % HEIGHT) as f32;
        let radius = 18.0 + (n * 37 % 40) as f32;
        disc(
            &mut image,
            x,
            y,
            radius,
            if n % 3 == 0 { olive } else { leaf },
        );
    }
    png(&image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_images_are_pngs_wide_enough_for_cards() {
        for bytes in [one_in_eleven(), two_targets(), olive_pattern()] {
            let inspected = crate::media::process::inspect(&bytes).unwrap();
            assert_eq!(inspected.format, crate::domain::media::Format::Png);
            assert_eq!((inspected.width, inspected.height), (1600, 900));
        }
    }
}
