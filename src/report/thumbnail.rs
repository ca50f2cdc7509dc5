//! The HTML page's thumbnails: a picture file made into a small JPEG data URI.
//!
//! JPEGs are decoded by libjpeg-turbo (mozjpeg) at a reduced scale (its DCT scaling: a 500x375
//! photo decodes as 125x94 for a 96-pixel thumbnail, a sixteenth of the pixels), other formats
//! (and JPEGs libjpeg cannot give as RGB, such as CMYK) by the `image` crate; the thumbnail is
//! written with 4:2:0 chroma subsampling, as photo JPEGs are (a quarter smaller than the 4:4:4
//! that `image`'s encoder writes). Every failure is None: the
//! page shows a placeholder, never an error.

use crate::files::MAX_IMAGE_SIDE;
use image::RgbImage;
use std::path::Path;

/// Pixels of a thumbnail's longer side.
pub const SIDE: u32 = 96;

/// JPEG quality of the thumbnails.
const QUALITY: f32 = 80.0;

/// A JPEG data URI of the picture at `path`, at most [`SIDE`] pixels a side.
pub fn data_uri(path: &Path) -> Option<String> {
    let bytes = crate::files::read(path).ok()?;
    // libjpeg reports corrupt data by unwinding; the guard catches it quietly.
    let jpeg = crate::panic_guard::guard(path, || {
        let picture = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            decode_jpeg_near(&bytes, SIDE).or_else(|| decode_other(&bytes))
        } else {
            decode_other(&bytes)
        };
        let small = picture.map(|p| {
            let (width, height) = scaled(p.width(), p.height());
            image::imageops::thumbnail(&p, width, height)
        });
        Ok(small.as_ref().and_then(encode))
    })
    .ok()??;
    Some(format!(
        "data:image/jpeg;base64,{}",
        crate::text::base64(&jpeg)
    ))
}

/// The size of a `width` x `height` picture whose longer side is cut to [`SIDE`] (never enlarged,
/// never below 1).
fn scaled(width: u32, height: u32) -> (u32, u32) {
    let long = width.max(height).max(1);
    if long <= SIDE {
        return (width.max(1), height.max(1));
    }
    let scale =
        |side: u32| ((side as u64 * SIDE as u64 + long as u64 / 2) / long as u64).max(1) as u32;
    (scale(width), scale(height))
}

/// The smallest of libjpeg's scales (1/8, 2/8, 4/8, 8/8) at which the longer side stays at least
/// `side` pixels.
fn jpeg_scale(width: usize, height: usize, side: u32) -> u8 {
    let long = width.max(height);
    [1u8, 2, 4, 8]
        .into_iter()
        .find(|&n| long * n as usize / 8 >= side as usize)
        .unwrap_or(8)
}

/// A JPEG decoded at the smallest scale that keeps `side` pixels.
fn decode_jpeg_near(bytes: &[u8], side: u32) -> Option<RgbImage> {
    let mut decompress = mozjpeg::Decompress::new_mem(bytes).ok()?;
    let (width, height) = (decompress.width(), decompress.height());
    if width == 0
        || height == 0
        || width > MAX_IMAGE_SIDE as usize
        || height > MAX_IMAGE_SIDE as usize
    {
        return None;
    }
    // libjpeg cannot give CMYK as RGB (it would unwind): the caller's fallback decodes it.
    if matches!(
        decompress.color_space(),
        mozjpeg::ColorSpace::JCS_CMYK | mozjpeg::ColorSpace::JCS_YCCK
    ) {
        return None;
    }
    decompress.scale(jpeg_scale(width, height, side));
    let mut rgb = decompress.rgb().ok()?;
    let (width, height) = (rgb.width(), rgb.height());
    let pixels: Vec<[u8; 3]> = rgb.read_scanlines().ok()?;
    rgb.finish().ok()?;
    if pixels.len() != width * height {
        return None;
    }
    RgbImage::from_raw(
        width as u32,
        height as u32,
        pixels.into_iter().flatten().collect(),
    )
}

/// PNG, WebP and the rest, under the same limits as every picture faultline opens.
fn decode_other(bytes: &[u8]) -> Option<RgbImage> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    reader.limits(crate::files::image_limits());
    Some(reader.decode().ok()?.to_rgb8())
}

/// Baseline JPEG, 4:2:0, libjpeg-turbo's fast settings (mozjpeg's trellis search saves a few
/// percent at 96 pixels and costs several times the time).
fn encode(picture: &RgbImage) -> Option<Vec<u8>> {
    let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
    compress.set_fastest_defaults();
    compress.set_size(picture.width() as usize, picture.height() as usize);
    compress.set_quality(QUALITY);
    compress.set_chroma_sampling_pixel_sizes((2, 2), (2, 2));
    let mut started = compress.start_compress(Vec::new()).ok()?;
    started.write_scanlines(picture.as_raw()).ok()?;
    started.finish().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longer_side_is_cut_to_the_thumbnail_size_and_never_enlarged() {
        assert_eq!(scaled(500, 375), (96, 72));
        assert_eq!(scaled(375, 500), (72, 96));
        assert_eq!(scaled(40, 30), (40, 30));
        assert_eq!(scaled(10_000, 1), (96, 1));
    }

    #[test]
    fn jpegs_decode_at_the_smallest_scale_that_keeps_the_thumbnail_size() {
        assert_eq!(jpeg_scale(500, 375, 96), 2); // 125 x 94
        assert_eq!(jpeg_scale(800, 600, 96), 1); // 100 x 75
        assert_eq!(jpeg_scale(300, 200, 96), 4); // 150 x 100
        assert_eq!(jpeg_scale(100, 80, 96), 8);
        assert_eq!(jpeg_scale(50, 50, 96), 8);
    }

    fn unbase64(text: &str) -> Vec<u8> {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let sextets: Vec<u32> = text
            .bytes()
            .filter(|&b| b != b'=')
            .map(|b| ALPHABET.iter().position(|&a| a == b).unwrap() as u32)
            .collect();
        let mut out = Vec::new();
        for chunk in sextets.chunks(4) {
            let mut word = 0;
            for (i, s) in chunk.iter().enumerate() {
                word |= s << (18 - 6 * i);
            }
            out.extend(&word.to_be_bytes()[1..chunk.len()]);
        }
        out
    }

    fn file(dir: &Path, name: &str, write: impl FnOnce(&Path)) -> std::path::PathBuf {
        let path = dir.join(name);
        write(&path);
        path
    }

    /// A gradient photo, as JPEG and PNG: both come back as a 96 x 72 JPEG whose pixels are
    /// close to the picture's, with 4:2:0 sampling.
    #[test]
    fn jpeg_and_png_make_the_same_small_subsampled_thumbnail() {
        let dir = tempfile::tempdir().unwrap();
        let picture = RgbImage::from_fn(500, 375, |x, y| {
            image::Rgb([(x / 2) as u8, (y * 255 / 375) as u8, 128])
        });
        let jpeg = file(dir.path(), "a.jpg", |p| picture.save(p).unwrap());
        let png = file(dir.path(), "a.png", |p| picture.save(p).unwrap());
        for path in [jpeg, png] {
            let uri = data_uri(&path).unwrap();
            let bytes = unbase64(uri.strip_prefix("data:image/jpeg;base64,").unwrap());
            let decoded = image::load_from_memory(&bytes).unwrap().to_rgb8();
            assert_eq!(decoded.dimensions(), (96, 72), "{}", path.display());
            let expected = image::imageops::thumbnail(&picture, 96, 72);
            let worst = decoded
                .pixels()
                .zip(expected.pixels())
                .flat_map(|(a, b)| (0..3).map(move |c| (a[c] as i32 - b[c] as i32).abs()))
                .max()
                .unwrap();
            assert!(worst <= 24, "{}: a pixel off by {worst}", path.display());
            // SOF0's first component (luma) samples 2x2: chroma is subsampled 4:2:0.
            let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
            assert_eq!(bytes[sof + 11], 0x22, "{}", path.display());
        }
    }

    /// A CMYK JPEG (as print workflows write them), which libjpeg cannot give as RGB, goes to
    /// the `image` crate instead.
    #[test]
    fn a_cmyk_jpeg_still_gives_a_thumbnail() {
        let dir = tempfile::tempdir().unwrap();
        let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_CMYK);
        compress.set_size(200, 150);
        let mut started = compress.start_compress(Vec::new()).unwrap();
        started
            .write_scanlines(&vec![128u8; 200 * 150 * 4])
            .unwrap();
        let bytes = started.finish().unwrap();
        let path = file(dir.path(), "cmyk.jpg", |p| {
            std::fs::write(p, &bytes).unwrap()
        });
        let uri = data_uri(&path).expect("a thumbnail");
        let jpeg = unbase64(uri.strip_prefix("data:image/jpeg;base64,").unwrap());
        let decoded = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (96, 72));
    }

    #[test]
    fn what_is_not_a_picture_gives_no_thumbnail() {
        let dir = tempfile::tempdir().unwrap();
        let cut = file(dir.path(), "cut.jpg", |p| {
            let picture = RgbImage::from_pixel(300, 300, image::Rgb([9, 99, 199]));
            let mut bytes = Vec::new();
            image::codecs::jpeg::JpegEncoder::new(&mut bytes)
                .encode_image(&picture)
                .unwrap();
            // Cut inside its header. (Cut inside its pixels, libjpeg shows the rest grey, as
            // browsers do: a picture, not a failure.)
            std::fs::write(p, &bytes[..30]).unwrap();
        });
        let text = file(dir.path(), "notes.png", |p| {
            std::fs::write(p, "hello").unwrap()
        });
        let empty = file(dir.path(), "empty.jpg", |p| std::fs::write(p, "").unwrap());
        for path in [
            cut,
            text,
            empty,
            dir.path().join("missing.jpg"),
            dir.path().to_path_buf(),
        ] {
            assert_eq!(data_uri(&path), None, "{}", path.display());
        }
    }
}
