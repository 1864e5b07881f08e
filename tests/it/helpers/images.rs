//! Image files for the tests, made here: JPEG with EXIF (orientation, GPS, a camera's words),
//! PNG, a bomb's header, a huge ICC profile, and files that only pretend to be images.

use image::{ImageEncoder, Rgb, RgbImage};

/// Words a camera writes, to look for in served files.
pub const CAMERA_WORDS: &str = "DatelineTestCam secret place";

/// A `width` × `height` JPEG: red on its left half, blue on its right.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 30, 30])
        } else {
            Rgb([30, 30, 220])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode_image(&image)
        .unwrap();
    out
}

/// A `width` × `height` PNG, with an ICC profile of `icc` bytes when given.
pub fn png(width: u32, height: u32, icc: Option<Vec<u8>>) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut out);
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc).unwrap();
    }
    encoder
        .write_image(
            image.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

fn tiff_entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
    out.extend(tag.to_le_bytes());
    out.extend(kind.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend(value.to_le_bytes());
}

/// EXIF (little-endian TIFF): orientation `orientation`, a description holding
/// [`CAMERA_WORDS`], and GPS latitude 48° N.
fn exif(orientation: u16) -> Vec<u8> {
    let mut description = CAMERA_WORDS.as_bytes().to_vec();
    description.push(0);
    let ifd0 = 8u32;
    let ifd0_len = 2 + 3 * 12 + 4;
    let description_at = ifd0 + ifd0_len;
    let gps_at = (description_at + description.len() as u32 + 1) & !1;
    let gps_len = 2 + 2 * 12 + 4;
    let latitude_at = gps_at + gps_len;
    let mut tiff = b"II\x2a\x00".to_vec();
    tiff.extend(ifd0.to_le_bytes());
    tiff.extend(3u16.to_le_bytes());
    tiff_entry(
        &mut tiff,
        0x010E,
        2,
        description.len() as u32,
        description_at,
    );
    tiff_entry(&mut tiff, 0x0112, 3, 1, u32::from(orientation));
    tiff_entry(&mut tiff, 0x8825, 4, 1, gps_at);
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(&description);
    while (tiff.len() as u32) < gps_at {
        tiff.push(0);
    }
    tiff.extend(2u16.to_le_bytes());
    tiff_entry(&mut tiff, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    tiff_entry(&mut tiff, 0x0002, 5, 3, latitude_at);
    tiff.extend(0u32.to_le_bytes());
    for (numerator, denominator) in [(48u32, 1u32), (51, 1), (2400, 100)] {
        tiff.extend(numerator.to_le_bytes());
        tiff.extend(denominator.to_le_bytes());
    }
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend(tiff);
    segment
}

/// [`jpeg`] with an EXIF segment (orientation 6: turn a quarter clockwise to show upright).
pub fn jpeg_with_exif(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height);
    let exif = exif(6);
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend((exif.len() as u16 + 2).to_be_bytes());
    out.extend(exif);
    out.extend(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend(kind);
    out.extend(data);
    let crc = crc32(&out[start..]);
    out.extend(crc.to_be_bytes());
}

/// A PNG that says it is `width` × `height` and holds almost nothing: a decompression bomb's
/// header.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = width.to_be_bytes().to_vec();
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", b"\x78\x9c\x03\x00\x00\x00\x00\x01");
    chunk(&mut out, b"IEND", b"");
    out
}

/// An SVG whose script would run if it were served as SVG.
pub const SVG_WITH_SCRIPT: &[u8] =
    b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.domain)</script></svg>";

/// Starts as a GIF, goes on as script: an image to a sniffer, JavaScript to a browser.
pub const GIF_POLYGLOT: &[u8] =
    b"GIF89a/*\x01\x00\x01\x00\x00\xff\x00*/=1;alert(document.domain);//";
