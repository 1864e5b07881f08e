//! Encodings of a page: its strong ETag, gzip (libdeflate) and brotli copies at the effort the
//! cache calls for, and which one a client accepts.

use axum::body::Bytes;
use axum::http::{HeaderMap, header};

/// The page's 128-bit XXH3 hash: a strong validator only has to change whenever the bytes do;
/// nobody gains by making two versions of one URL's page collide, so a fast hash will do.
pub(super) fn strong_etag(body: &[u8]) -> String {
    format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(body))
}

/// How hard to compress: a page kept for minutes and sent many times is worth a slower, smaller
/// encoding; one sent once (the cache is off) is not (levels measured in docs/BENCHMARKS.md).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Effort {
    Kept = 0,
    Once = 1,
}

thread_local! {
    /// One libdeflate compressor per thread and effort, kept for the thread's life: fresh ones,
    /// allocated and freed for every page between the cache's long-lived copies, fragmented
    /// the heap (docs/DESIGN.md).
    static GZIP: std::cell::RefCell<[libdeflater::Compressor; 2]> = std::cell::RefCell::new([
        libdeflater::Compressor::new(libdeflater::CompressionLvl::new(6).unwrap_or_default()),
        // Not `CompressionLvl::fastest()`: that is level 0, which stores without compressing.
        libdeflater::Compressor::new(libdeflater::CompressionLvl::new(1).unwrap_or_default()),
    ]);
}

/// The gzip member (RFC 1952) of `body`, made by libdeflate, which compresses a whole buffer
/// (all a page is) at once, smaller and faster than a streaming zlib (docs/BENCHMARKS.md).
pub(super) fn gzip(body: &[u8], effort: Effort) -> Bytes {
    GZIP.with_borrow_mut(|compressors| {
        let compressor = &mut compressors[effort as usize];
        let mut out = vec![0; compressor.gzip_compress_bound(body.len())];
        // The bound always fits; were it ever short, the page goes out stored, uncompressed.
        let written = compressor.gzip_compress(body, &mut out).unwrap_or(0);
        if written == 0 {
            return stored_gzip(body);
        }
        out.truncate(written);
        exact(out, effort)
    })
}

/// `body` as a gzip member without compression (level 0).
pub(super) fn stored_gzip(body: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    let _ = std::io::Write::write_all(&mut encoder, body);
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// The compressed bytes as they are sent: a copy kept for minutes is copied to its exact size,
/// without the buffer's growth slack; one sent once is not copied.
fn exact(out: Vec<u8>, effort: Effort) -> Bytes {
    match effort {
        Effort::Kept => Bytes::copy_from_slice(&out),
        Effort::Once => Bytes::from(out),
    }
}

pub(super) fn gunzip(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() * 4);
    // Our own gzip output: it decodes.
    let _ = std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out);
    Bytes::from(out)
}

pub(super) fn brotli(body: &[u8], effort: Effort) -> Bytes {
    let mut out = Vec::new();
    // A 128 KiB window covers any page; the default 4 MiB one only costs memory.
    let params = brotli::enc::BrotliEncoderParams {
        quality: match effort {
            Effort::Kept => 6,
            Effort::Once => 1,
        },
        lgwin: 17,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    exact(out, effort)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Coding {
    Identity,
    Gzip,
    Brotli,
}

/// The best coding the client accepts (brotli, then gzip); `q=0` refuses one.
pub(super) fn negotiate(headers: &HeaderMap) -> Coding {
    let Some(accept) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Coding::Identity;
    };
    let accepts = |name: &str| {
        accept.split(',').any(|part| {
            let mut pieces = part.split(';');
            let coding = pieces.next().unwrap_or("").trim();
            let refused = pieces.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    if accepts("br") {
        Coding::Brotli
    } else if accepts("gzip") {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn negotiation_prefers_brotli_and_honours_refusals() {
        assert!(negotiate(&headers(&[])) == Coding::Identity);
        assert!(negotiate(&headers(&[("accept-encoding", "gzip, deflate, br")])) == Coding::Brotli);
        assert!(negotiate(&headers(&[("accept-encoding", "gzip")])) == Coding::Gzip);
        assert!(negotiate(&headers(&[("accept-encoding", "br;q=0, gzip")])) == Coding::Gzip);
        assert!(negotiate(&headers(&[("accept-encoding", "identity")])) == Coding::Identity);
    }

    #[test]
    fn both_efforts_decode_to_the_page_and_the_kept_one_is_smaller() {
        let page = "<p>About one in eleven women stayed in remission for three years.</p>\n"
            .repeat(200)
            .into_bytes();
        // Unlike `gunzip`, fails on a wrong CRC-32 or length in the trailer.
        let strict = |gz: &[u8]| {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut out).unwrap();
            out
        };
        let mut sizes = Vec::new();
        for effort in [Effort::Kept, Effort::Once] {
            let gz = gzip(&page, effort);
            assert_eq!(strict(&gz), page, "{effort:?} gzip");
            let br = brotli(&page, effort);
            let mut out = Vec::new();
            brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
            assert_eq!(out, page, "{effort:?} brotli");
            // Both really compress (a stored copy would decode as well).
            assert!(gz.len() < page.len() / 4, "{effort:?}: {} bytes", gz.len());
            sizes.push(gz.len() + br.len());
            // The thread's deflate state is reset between pages: the same page twice gives
            // the same bytes, and an empty or incompressible one still decodes.
            assert_eq!(gzip(&page, effort), gz);
            assert!(strict(&gzip(b"", effort)).is_empty());
            let noise: Vec<u8> = (0..300_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect();
            assert_eq!(strict(&gzip(&noise, effort)), noise);
        }
        assert!(sizes[0] <= sizes[1], "{sizes:?}");
        assert_eq!(
            strict(&stored_gzip(&page)),
            page,
            "the fallback decodes too"
        );
    }
}
