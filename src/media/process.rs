//! From an upload's bytes to the files served: the header read first (format and size, so a
//! decompression bomb is refused before any pixel is decoded), then one decode under limits,
//! EXIF orientation applied, every width resized with `fast_image_resize` and encoded again
//! (JPEG and PNG with `image`, WebP with libwebp through `webp`): no byte of the upload's
//! metadata reaches a served file.

use std::io::Cursor;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage, RgbaImage};

use crate::domain::media::{self, Format, limits};

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a JPEG, PNG, WebP or GIF by its bytes (`415`).
    #[error("not a JPEG, PNG, WebP or GIF image")]
    Unsupported,
    /// Over the size limit (`413`).
    #[error("larger than 20 MiB")]
    TooLarge,
    /// Over the pixel limit (`422`), decided from the header.
    #[error("{width} × {height} pixels is more than 50 megapixels")]
    TooManyPixels { width: u32, height: u32 },
    /// Damaged, truncated or otherwise unreadable (`422`).
    #[error("the image could not be read: {0}")]
    Unreadable(String),
}

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspected {
    pub format: Format,
    /// As stored, before EXIF orientation.
    pub width: u32,
    pub height: u32,
}

/// What a decode may allocate: a 50-megapixel image in RGBA, and some room for the decoder.
const MAX_ALLOC: u64 = 50_000_000 * 4 + 64 * 1024 * 1024;

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    limits
}

fn image_format(format: Format) -> image::ImageFormat {
    match format {
        Format::Jpeg => image::ImageFormat::Jpeg,
        Format::Png => image::ImageFormat::Png,
        Format::Webp => image::ImageFormat::WebP,
        Format::Gif => image::ImageFormat::Gif,
    }
}

/// Reads only what it must to name the format and the size.
pub fn inspect(bytes: &[u8]) -> Result<Inspected, Refusal> {
    if bytes.len() > limits::MAX_BYTES {
        return Err(Refusal::TooLarge);
    }
    let format = Format::sniff(bytes).ok_or(Refusal::Unsupported)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
    reader.limits(limits());
    let (width, height) = reader
        .into_dimensions()
        .map_err(|err| Refusal::Unreadable(err.to_string()))?;
    if width == 0 || height == 0 {
        return Err(Refusal::Unreadable("the image has no pixels".into()));
    }
    if u64::from(width) * u64::from(height) > limits::MAX_PIXELS {
        return Err(Refusal::TooManyPixels { width, height });
    }
    if !complete(bytes, format) {
        // Decoders fill a cut-off image with grey rather than fail: refuse it here.
        return Err(Refusal::Unreadable(
            "the file ends before the image does".into(),
        ));
    }
    Ok(Inspected {
        format,
        width,
        height,
    })
}

/// Whether a file holds its whole image: JPEG segments walked to the end-of-image marker, a
/// PNG's `IEND` chunk, a GIF's trailer, a WebP's RIFF size.
fn complete(bytes: &[u8], format: Format) -> bool {
    match format {
        Format::Jpeg => jpeg_complete(bytes),
        Format::Png => bytes
            .windows(4)
            .rposition(|w| w == b"IEND")
            .is_some_and(|at| at + 8 <= bytes.len()),
        Format::Gif => {
            bytes.iter().rposition(|b| *b != 0) == bytes.iter().rposition(|b| *b == 0x3B)
        }
        Format::Webp => {
            let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
            declared + 8 <= bytes.len()
        }
    }
}

/// Walks a JPEG's segments: lengths, then the entropy-coded data of each scan up to the next
/// marker, until the end-of-image marker (`true`) or the end of the bytes (`false`).
fn jpeg_complete(bytes: &[u8]) -> bool {
    let mut i = 2;
    while i + 1 < bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        match marker {
            0xD9 => return true,
            // Fill bytes, and markers without a length.
            0xFF => i += 1,
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let Some(length) = bytes
                    .get(i + 2..i + 4)
                    .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
                else {
                    return false;
                };
                i += 2 + length;
                if marker == 0xDA {
                    // Scan data: up to the next marker that is not a stuffed byte or a restart.
                    while i + 1 < bytes.len() {
                        if bytes[i] == 0xFF && !matches!(bytes[i + 1], 0x00 | 0xD0..=0xD7) {
                            break;
                        }
                        i += 1;
                    }
                }
            }
        }
    }
    false
}

/// One file made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub bytes: Vec<u8>,
}

/// Every rendition of an image, and its size once upright.
#[derive(Debug, Clone)]
pub struct Processed {
    pub width: u32,
    pub height: u32,
    pub files: Vec<Made>,
}

/// Decoded pixels: 8 bits a channel, with alpha only when the image has it.
enum Pixels {
    Rgb(RgbImage),
    Rgba(RgbaImage),
}

impl Pixels {
    fn dimensions(&self) -> (u32, u32) {
        match self {
            Self::Rgb(image) => image.dimensions(),
            Self::Rgba(image) => image.dimensions(),
        }
    }

    fn resized(&self, resizer: &mut Resizer, width: u32, height: u32) -> Result<Self, Refusal> {
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        let failed = |err: fast_image_resize::ResizeError| Refusal::Unreadable(err.to_string());
        Ok(match self {
            Self::Rgb(image) => {
                let mut out = RgbImage::new(width, height);
                resizer.resize(image, &mut out, &options).map_err(failed)?;
                Self::Rgb(out)
            }
            Self::Rgba(image) => {
                let mut out = RgbaImage::new(width, height);
                resizer.resize(image, &mut out, &options).map_err(failed)?;
                Self::Rgba(out)
            }
        })
    }

    fn oriented(self, orientation: image::metadata::Orientation) -> Self {
        let mut image = match self {
            Self::Rgb(image) => DynamicImage::ImageRgb8(image),
            Self::Rgba(image) => DynamicImage::ImageRgba8(image),
        };
        image.apply_orientation(orientation);
        match image {
            DynamicImage::ImageRgba8(image) => Self::Rgba(image),
            other => Self::Rgb(other.into_rgb8()),
        }
    }

    fn encode(&self, format: Format) -> Result<Vec<u8>, Refusal> {
        use image::ImageEncoder;
        let (width, height) = self.dimensions();
        let (raw, color): (&[u8], image::ExtendedColorType) = match self {
            Self::Rgb(image) => (image.as_raw(), image::ExtendedColorType::Rgb8),
            Self::Rgba(image) => (image.as_raw(), image::ExtendedColorType::Rgba8),
        };
        let failed = |err: image::ImageError| Refusal::Unreadable(err.to_string());
        let mut out = Vec::new();
        match format {
            Format::Jpeg => {
                // JPEG has no alpha: such pixels were made RGB before (see `decode`).
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
                    .write_image(raw, width, height, color)
                    .map_err(failed)?;
            }
            Format::Png => {
                image::codecs::png::PngEncoder::new_with_quality(
                    &mut out,
                    image::codecs::png::CompressionType::Default,
                    image::codecs::png::FilterType::Adaptive,
                )
                .write_image(raw, width, height, color)
                .map_err(failed)?;
            }
            Format::Gif => {
                image::codecs::gif::GifEncoder::new_with_speed(&mut out, 10)
                    .encode(raw, width, height, color)
                    .map_err(failed)?;
            }
            Format::Webp => {
                let encoder = match self {
                    Self::Rgb(image) => webp::Encoder::from_rgb(image.as_raw(), width, height),
                    Self::Rgba(image) => webp::Encoder::from_rgba(image.as_raw(), width, height),
                };
                out = encoder.encode(80.0).to_vec();
            }
        }
        Ok(out)
    }
}

/// Decodes under limits; the pixels as stored and the EXIF orientation to apply.
fn decode(
    bytes: &[u8],
    inspected: &Inspected,
) -> Result<(Pixels, image::metadata::Orientation), Refusal> {
    let unreadable = |err: image::ImageError| Refusal::Unreadable(err.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(inspected.format));
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    // JPEG cannot keep alpha, and an opaque image needs none.
    let keeps_alpha = image.color().has_alpha() && inspected.format != Format::Jpeg;
    let pixels = if keeps_alpha {
        Pixels::Rgba(image.into_rgba8())
    } else {
        Pixels::Rgb(image.into_rgb8())
    };
    Ok((pixels, orientation))
}

/// Whether an orientation turns the image a quarter (width and height swap).
fn swaps_axes(orientation: image::metadata::Orientation) -> bool {
    use image::metadata::Orientation::*;
    matches!(
        orientation,
        Rotate90 | Rotate270 | Rotate90FlipH | Rotate270FlipH
    )
}

/// Every rendition: each width of `crate::domain::media::rendition_widths` in each format of
/// [`Format::renditions`], upright. Each width is resized from the next wider one (the widest
/// from the original), and turned upright after resizing, so at most the decoded original and
/// one rendition are in memory at once; the encodes run on two threads.
pub fn renditions(bytes: &[u8], inspected: &Inspected) -> Result<Processed, Refusal> {
    let (pixels, orientation) = decode(bytes, inspected)?;
    let (stored_w, stored_h) = pixels.dimensions();
    let swap = swaps_axes(orientation);
    let (width, height) = if swap {
        (stored_h, stored_w)
    } else {
        (stored_w, stored_h)
    };
    let mut resizer = Resizer::new();
    let mut sized: Vec<Pixels> = Vec::new();
    let mut source = pixels;
    for target in media::rendition_widths(width).into_iter().rev() {
        let target_h = media::height_for(target, width, height);
        // Resized as stored, turned upright after.
        let (w, h) = if swap {
            (target_h, target)
        } else {
            (target, target_h)
        };
        let smaller = if (w, h) == source.dimensions() {
            match &source {
                Pixels::Rgb(image) => Pixels::Rgb(image.clone()),
                Pixels::Rgba(image) => Pixels::Rgba(image.clone()),
            }
        } else {
            source.resized(&mut resizer, w, h)?
        };
        // The next (narrower) width is made from this one: the original is let go.
        source = match &smaller {
            Pixels::Rgb(image) => Pixels::Rgb(image.clone()),
            Pixels::Rgba(image) => Pixels::Rgba(image.clone()),
        };
        sized.push(smaller.oriented(orientation));
    }
    drop(source);
    let jobs: Vec<(usize, Format)> = (0..sized.len())
        .flat_map(|i| inspected.format.renditions().iter().map(move |f| (i, *f)))
        .collect();
    let encode = |part: &[(usize, Format)]| -> Result<Vec<Made>, Refusal> {
        part.iter()
            .map(|(i, format)| {
                let (w, h) = sized[*i].dimensions();
                Ok(Made {
                    width: w,
                    height: h,
                    format: *format,
                    bytes: sized[*i].encode(*format)?,
                })
            })
            .collect()
    };
    // Two threads: the two cores this runs on. WebP encodes cost most: spread them evenly.
    let (odd, even): (Vec<_>, Vec<_>) = jobs.iter().enumerate().partition(|(n, _)| n % 2 == 1);
    let odd: Vec<_> = odd.into_iter().map(|(_, j)| *j).collect();
    let even: Vec<_> = even.into_iter().map(|(_, j)| *j).collect();
    let (first, second) = std::thread::scope(|scope| {
        let other = scope.spawn(|| encode(&odd));
        let mine = encode(&even);
        (mine, other.join())
    });
    let mut files = first?;
    files.extend(second.map_err(|_| Refusal::Unreadable("an encoder failed".into()))??);
    files.sort_by_key(|f| (f.width, f.format.extension()));
    Ok(Processed {
        width,
        height,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&image)
            .unwrap();
        out
    }

    #[test]
    fn renditions_cover_every_width_in_both_formats() {
        let bytes = jpeg(1500, 1000);
        let inspected = inspect(&bytes).unwrap();
        assert_eq!(
            inspected,
            Inspected {
                format: Format::Jpeg,
                width: 1500,
                height: 1000
            }
        );
        let made = renditions(&bytes, &inspected).unwrap();
        let got: Vec<(u32, u32, Format)> = made
            .files
            .iter()
            .map(|f| (f.width, f.height, f.format))
            .collect();
        assert_eq!(
            got,
            [
                (480, 320, Format::Jpeg),
                (480, 320, Format::Webp),
                (800, 533, Format::Jpeg),
                (800, 533, Format::Webp),
                (1200, 800, Format::Jpeg),
                (1200, 800, Format::Webp),
                (1500, 1000, Format::Jpeg),
                (1500, 1000, Format::Webp),
            ]
        );
        for file in &made.files {
            assert_eq!(Format::sniff(&file.bytes), Some(file.format));
        }
    }

    #[test]
    fn bombs_are_refused_from_the_header() {
        // A PNG header claiming 100,000 × 100,000 pixels, with no pixels behind it.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(100_000u32.to_be_bytes());
        png.extend(100_000u32.to_be_bytes());
        png.extend([8, 2, 0, 0, 0]);
        let crc = crc32(&png[12..]);
        png.extend(crc.to_be_bytes());
        // A few bytes of pixel data, and the end: what a bomb looks like before it inflates.
        for (kind, data) in [
            (&b"IDAT"[..], &b"\x78\x9c\x03\x00\x00\x00\x00\x01"[..]),
            (b"IEND", b""),
        ] {
            png.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
            let start = png.len();
            png.extend(kind);
            png.extend(data);
            let crc = crc32(&png[start..]);
            png.extend(crc.to_be_bytes());
        }
        assert_eq!(
            inspect(&png),
            Err(Refusal::TooManyPixels {
                width: 100_000,
                height: 100_000
            })
        );
        assert_eq!(inspect(b"<svg/>"), Err(Refusal::Unsupported));
        let whole = jpeg(300, 200);
        assert!(inspect(&whole).is_ok());
        for cut in [whole.len() - 2, whole.len() / 2, 200] {
            assert!(
                matches!(inspect(&whole[..cut]), Err(Refusal::Unreadable(_))),
                "cut at {cut}"
            );
        }
        assert!(matches!(
            inspect(&jpeg(10, 10)[..20]),
            Err(Refusal::Unreadable(_))
        ));
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
}
