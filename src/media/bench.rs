//! `dateline media-bench` (hidden; `make bench-media` runs it): a photo-like JPEG of a given
//! size, and the time and peak memory of making its renditions, each in a process of its own so
//! that the peak is the processing's alone.

use std::time::Instant;

use image::{Rgb, RgbImage};

/// Writes a `megapixels` JPEG (3:2, smooth gradients with fine noise, as a photo's entropy).
pub fn make(megapixels: f64, out: &std::path::Path) -> anyhow::Result<()> {
    let pixels = megapixels * 1_000_000.0;
    let width = (pixels * 1.5).sqrt().round() as u32;
    let height = (f64::from(width) / 1.5).round() as u32;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let image = RgbImage::from_fn(width, height, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise = (seed % 16) as i32 - 8;
        let channel = |base: f64| (base + f64::from(noise)).clamp(0.0, 255.0) as u8;
        let fx = f64::from(x) / f64::from(width);
        let fy = f64::from(y) / f64::from(height);
        Rgb([
            channel(60.0 + 150.0 * fx),
            channel(90.0 + 120.0 * (fx * fy)),
            channel(200.0 - 140.0 * fy),
        ])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85).encode_image(&image)?;
    std::fs::write(out, &bytes)?;
    println!("{} {width} {height} {}", out.display(), bytes.len());
    Ok(())
}

/// The process's peak resident memory (`VmHWM`), in MB.
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Makes the renditions of `file` as an upload does; prints the milliseconds, the files made,
/// their bytes and the peak memory in MB.
pub fn process(file: &std::path::Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file)?;
    let started = Instant::now();
    let inspected = super::process::inspect(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let made =
        super::process::renditions(&bytes, &inspected).map_err(|e| anyhow::anyhow!("{e}"))?;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    let total: usize = made.files.iter().map(|f| f.bytes.len()).sum();
    println!("{elapsed:.0} {} {total} {:.0}", made.files.len(), peak_mb());
    Ok(())
}
