//! CLIP image preprocessing, bit for bit what transformers' CLIP image processor does with PIL:
//! convert to RGB (alpha composited over white), resize the shortest side with PIL's bicubic
//! filter (its exact fixed-point, two-pass algorithm, so the 8-bit pixels are identical), centre
//! crop, scale by 1/255 and normalise with the model's mean and std.

use crate::error::{Error, Result};
use image::{DynamicImage, ImageReader, Limits, RgbImage};
use serde::Deserialize;
use std::path::Path;

/// What `preprocessor_config.json` says (with CLIP's defaults for anything missing).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageConfig {
    /// Resize so the shortest side is this long (None: resize to `crop` directly).
    pub shortest_edge: Option<u32>,
    pub crop_width: u32,
    pub crop_height: u32,
    pub do_resize: bool,
    pub do_center_crop: bool,
    pub rescale_factor: f64,
    pub do_rescale: bool,
    pub do_normalize: bool,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Default for ImageConfig {
    // OpenAI CLIP's mean and std as published (and as numpy rounds them to float32).
    #[allow(clippy::excessive_precision)]
    fn default() -> Self {
        ImageConfig {
            shortest_edge: Some(224),
            crop_width: 224,
            crop_height: 224,
            do_resize: true,
            do_center_crop: true,
            rescale_factor: 1.0 / 255.0,
            do_rescale: true,
            do_normalize: true,
            mean: [0.481_454_66, 0.457_827_5, 0.408_210_73],
            std: [0.268_629_54, 0.261_302_58, 0.275_777_1],
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum SizeField {
    Square(u32),
    Dict {
        shortest_edge: Option<u32>,
        height: Option<u32>,
        width: Option<u32>,
    },
}

#[derive(Deserialize, Default)]
struct RawConfig {
    size: Option<SizeField>,
    crop_size: Option<SizeField>,
    do_resize: Option<bool>,
    do_center_crop: Option<bool>,
    rescale_factor: Option<f64>,
    do_rescale: Option<bool>,
    do_normalize: Option<bool>,
    image_mean: Option<Vec<f32>>,
    image_std: Option<Vec<f32>>,
    resample: Option<u32>,
}

impl ImageConfig {
    pub fn from_file(path: &Path) -> Result<ImageConfig> {
        let text = crate::files::read_to_string(path).map_err(|e| Error::io(path, e))?;
        ImageConfig::parse(&text).map_err(|message| Error::input(path, message))
    }

    pub fn parse(text: &str) -> std::result::Result<ImageConfig, String> {
        let raw: RawConfig =
            serde_json::from_str(text).map_err(|e| format!("not a preprocessor config: {e}"))?;
        let mut config = ImageConfig::default();
        if let Some(resample) = raw.resample {
            if resample != 3 {
                return Err(format!(
                    "resample = {resample}: only bicubic (3), CLIP's filter, is supported"
                ));
            }
        }
        match raw.size {
            Some(SizeField::Square(n)) => config.shortest_edge = Some(n),
            Some(SizeField::Dict {
                shortest_edge: Some(n),
                ..
            }) => config.shortest_edge = Some(n),
            Some(SizeField::Dict {
                height: Some(h),
                width: Some(w),
                ..
            }) => {
                // A fixed size: resize straight to it, no crop needed beyond it.
                config.shortest_edge = None;
                config.crop_height = h;
                config.crop_width = w;
            }
            Some(SizeField::Dict { .. }) => {
                return Err("size needs shortest_edge or height and width".into())
            }
            None => {}
        }
        match raw.crop_size {
            Some(SizeField::Square(n)) => (config.crop_width, config.crop_height) = (n, n),
            Some(SizeField::Dict {
                height: Some(h),
                width: Some(w),
                ..
            }) => (config.crop_width, config.crop_height) = (w, h),
            Some(SizeField::Dict { .. }) => return Err("crop_size needs height and width".into()),
            None => {}
        }
        config.do_resize = raw.do_resize.unwrap_or(true);
        config.do_center_crop = raw.do_center_crop.unwrap_or(true);
        config.do_rescale = raw.do_rescale.unwrap_or(true);
        config.do_normalize = raw.do_normalize.unwrap_or(true);
        if let Some(factor) = raw.rescale_factor {
            config.rescale_factor = factor;
        }
        let three = |values: Option<Vec<f32>>, name: &str, into: &mut [f32; 3]| match values {
            None => Ok(()),
            Some(v) if v.len() == 3 && v.iter().all(|x| x.is_finite()) => {
                into.copy_from_slice(&v);
                Ok(())
            }
            Some(v) => Err(format!("{name} needs 3 finite values, got {v:?}")),
        };
        three(raw.image_mean, "image_mean", &mut config.mean)?;
        three(raw.image_std, "image_std", &mut config.std)?;
        if config.std.contains(&0.0) {
            return Err("image_std has a zero".into());
        }
        let sizes = [
            config.shortest_edge.unwrap_or(1),
            config.crop_width,
            config.crop_height,
        ];
        if sizes.iter().any(|&s| s == 0 || s > 4096) {
            return Err(format!(
                "image sizes must be between 1 and 4096, got {sizes:?}"
            ));
        }
        Ok(config)
    }

    /// Values per preprocessed image (3 x height x width).
    pub fn tensor_len(&self) -> usize {
        3 * self.crop_width as usize * self.crop_height as usize
    }
}

/// Largest image accepted, in pixels: a decompression bomb is refused before it is decoded.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Decodes an image file with size limits, as RGB the way PIL's `convert("RGB")` does it.
/// JPEGs go through libjpeg-turbo's decoder (mozjpeg), the one PIL uses, so their pixels are
/// identical to the Python reference; other formats through the `image` crate.
pub fn load_rgb(path: &Path) -> std::result::Result<RgbImage, String> {
    let bytes = crate::files::read(path).map_err(|e| e.to_string())?;
    if bytes.is_empty() {
        return Err("empty file".into());
    }
    let decoded = crate::panic_guard::guard(path, || {
        let decoded = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            decode_jpeg(&bytes)
        } else {
            decode_other(&bytes)
        };
        decoded.map_err(|message| Error::input(path, message))
    });
    decoded.map_err(|e| match e {
        Error::Input { message, .. } => message,
        other => other.to_string(),
    })
}

fn check_size(width: u64, height: u64) -> std::result::Result<(), String> {
    if width * height > MAX_PIXELS {
        return Err(format!(
            "{width}x{height} pixels is over the limit of {MAX_PIXELS} (a decompression bomb?)"
        ));
    }
    Ok(())
}

fn decode_jpeg(bytes: &[u8]) -> std::result::Result<RgbImage, String> {
    let decompress =
        mozjpeg::Decompress::new_mem(bytes).map_err(|e| format!("not a readable JPEG: {e}"))?;
    let (width, height) = (decompress.width(), decompress.height());
    check_size(width as u64, height as u64)?;
    let mut rgb = decompress
        .rgb()
        .map_err(|e| format!("cannot convert this JPEG to RGB: {e}"))?;
    let pixels: Vec<[u8; 3]> = rgb
        .read_scanlines()
        .map_err(|e| format!("corrupt JPEG data: {e}"))?;
    rgb.finish()
        .map_err(|e| format!("corrupt JPEG data: {e}"))?;
    if pixels.len() != width * height {
        return Err("truncated JPEG data".into());
    }
    RgbImage::from_raw(
        width as u32,
        height as u32,
        pixels.into_iter().flatten().collect(),
    )
    .ok_or_else(|| "truncated JPEG data".to_string())
}

fn decode_other(bytes: &[u8]) -> std::result::Result<RgbImage, String> {
    let reader = || {
        ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| e.to_string())
    };
    let (width, height) = reader()?
        .into_dimensions()
        .map_err(|e| format!("cannot read the image header: {e}"))?;
    check_size(width as u64, height as u64)?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8);
    let mut reader = reader()?;
    reader.limits(limits);
    reader.decode().map(to_rgb).map_err(|e| e.to_string())
}

/// Alpha is composited over white, as transformers does before converting to RGB.
fn to_rgb(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = p[3] as u32;
        for c in 0..3 {
            // PIL's alpha_composite over an opaque background, in its integer arithmetic.
            let blended = p[c] as u32 * a + 255 * (255 - a);
            o[c] = ((blended + 127) / 255) as u8;
        }
    }
    out
}

/// The size transformers resizes to: the shortest side becomes `shortest`, the other keeps the
/// aspect ratio, truncated (Python's `int()`).
pub fn resize_target(width: u32, height: u32, shortest: u32) -> (u32, u32) {
    let (short, long) = if width <= height {
        (width, height)
    } else {
        (height, width)
    };
    let new_long = (shortest as f64 * long as f64 / short as f64) as u32;
    if width <= height {
        (shortest, new_long.max(1))
    } else {
        (new_long.max(1), shortest)
    }
}

/// PIL's fixed-point precision for 8-bit images.
const PRECISION_BITS: u32 = 32 - 8 - 2;

fn bicubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// For each output pixel: the first input pixel, and fixed-point weights for the following ones
/// (PIL's `precompute_coeffs` + `normalize_coeffs_8bpc`).
struct Coefficients {
    bounds: Vec<(usize, usize)>,
    weights: Vec<i32>,
    ksize: usize,
}

fn coefficients(in_size: usize, out_size: usize) -> Coefficients {
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = 2.0 * filterscale;
    let ksize = support.ceil() as usize * 2 + 1;
    let mut bounds = Vec::with_capacity(out_size);
    let mut weights = vec![0i32; out_size * ksize];
    let mut k = vec![0.0f64; ksize];
    for xx in 0..out_size {
        let center = (xx as f64 + 0.5) * scale;
        let ss = 1.0 / filterscale;
        // C's (int) truncates toward zero; negatives clamp to 0 right after, as in PIL.
        let xmin = ((center - support + 0.5) as i64).max(0) as usize;
        let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize - xmin;
        let mut ww = 0.0;
        for (x, slot) in k.iter_mut().enumerate().take(xmax) {
            let w = bicubic((x as f64 + xmin as f64 - center + 0.5) * ss);
            *slot = w;
            ww += w;
        }
        for x in 0..xmax {
            let w = if ww != 0.0 { k[x] / ww } else { k[x] };
            let fixed = w * (1u32 << PRECISION_BITS) as f64;
            weights[xx * ksize + x] = if w < 0.0 {
                (-0.5 + fixed) as i32
            } else {
                (0.5 + fixed) as i32
            };
        }
        bounds.push((xmin, xmax));
    }
    Coefficients {
        bounds,
        weights,
        ksize,
    }
}

fn clip8(value: i32) -> u8 {
    (value >> PRECISION_BITS).clamp(0, 255) as u8
}

/// PIL's `Image.resize(size, Image.BICUBIC)` on an RGB image: horizontal pass first (only over
/// the rows the vertical pass reads), then vertical, each rounding to 8 bits.
pub fn resize_bicubic(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (in_w, in_h) = (image.width() as usize, image.height() as usize);
    let (out_w, out_h) = (width as usize, height as usize);
    if (in_w, in_h) == (out_w, out_h) {
        return image.clone();
    }
    let horizontal = coefficients(in_w, out_w);
    let vertical = coefficients(in_h, out_h);
    let src = image.as_raw();
    let need_horizontal = out_w != in_w;
    let need_vertical = out_h != in_h;
    // Rows the vertical pass reads.
    let first_row = vertical.bounds[0].0;
    let last_row = {
        let (start, len) = vertical.bounds[out_h - 1];
        start + len
    };
    // PIL accumulates in 32-bit ints with 2 bits of headroom; so does this (same results).
    let bias = 1i32 << (PRECISION_BITS - 1);
    let (temp, temp_w, row_offset) = if need_horizontal {
        let rows = last_row - first_row;
        let mut temp = vec![0u8; rows * out_w * 3];
        for (y, out_row) in temp.chunks_exact_mut(out_w * 3).enumerate() {
            let in_row = &src[(y + first_row) * in_w * 3..(y + first_row + 1) * in_w * 3];
            for (xx, out) in out_row.chunks_exact_mut(3).enumerate() {
                let (xmin, len) = horizontal.bounds[xx];
                let k = &horizontal.weights[xx * horizontal.ksize..][..len];
                let pixels = &in_row[xmin * 3..(xmin + len) * 3];
                let mut sums = [bias; 3];
                for (p, &w) in pixels.chunks_exact(3).zip(k) {
                    sums[0] += p[0] as i32 * w;
                    sums[1] += p[1] as i32 * w;
                    sums[2] += p[2] as i32 * w;
                }
                for c in 0..3 {
                    out[c] = clip8(sums[c]);
                }
            }
        }
        (temp, out_w, first_row)
    } else {
        (src.to_vec(), in_w, 0)
    };
    if !need_vertical {
        return RgbImage::from_raw(width, height, temp).expect("buffer matches the size");
    }
    let row_len = temp_w * 3;
    let mut out = vec![0u8; out_w * out_h * 3];
    let mut sums = vec![0i32; row_len];
    for (yy, out_row) in out.chunks_exact_mut(row_len).enumerate() {
        let (ymin, len) = vertical.bounds[yy];
        let ymin = ymin - row_offset;
        let k = &vertical.weights[yy * vertical.ksize..][..len];
        sums.fill(bias);
        // Whole rows at a time: the inner loop runs over contiguous bytes and vectorises.
        for (y, &w) in k.iter().enumerate() {
            let row = &temp[(ymin + y) * row_len..(ymin + y + 1) * row_len];
            for (s, &p) in sums.iter_mut().zip(row) {
                *s += p as i32 * w;
            }
        }
        for (o, &s) in out_row.iter_mut().zip(&sums) {
            *o = clip8(s);
        }
    }
    RgbImage::from_raw(width, height, out).expect("buffer matches the size")
}

/// transformers' `center_crop`: top-left at floor((size - crop) / 2); an image smaller than the
/// crop is padded with zeros, centred the same way.
pub fn center_crop(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (in_w, in_h) = (image.width() as i64, image.height() as i64);
    let (w, h) = (width as i64, height as i64);
    let top = (in_h - h).div_euclid(2);
    let left = (in_w - w).div_euclid(2);
    let mut out = RgbImage::new(width, height);
    for y in 0..h {
        let sy = y + top;
        if sy < 0 || sy >= in_h {
            continue;
        }
        for x in 0..w {
            let sx = x + left;
            if sx >= 0 && sx < in_w {
                out.put_pixel(x as u32, y as u32, *image.get_pixel(sx as u32, sy as u32));
            }
        }
    }
    out
}

/// Resize and crop: the 8-bit image the model sees.
pub fn resize_and_crop(image: &RgbImage, config: &ImageConfig) -> RgbImage {
    let resized = match (config.do_resize, config.shortest_edge) {
        (false, _) => image.clone(),
        (true, Some(shortest)) => {
            let (w, h) = resize_target(image.width(), image.height(), shortest);
            resize_bicubic(image, w, h)
        }
        (true, None) => resize_bicubic(image, config.crop_width, config.crop_height),
    };
    if config.do_center_crop {
        center_crop(&resized, config.crop_width, config.crop_height)
    } else {
        resized
    }
}

/// Channel-first float values, scaled and normalised as transformers does (f64 scale, then f32).
pub fn to_tensor(image: &RgbImage, config: &ImageConfig, out: &mut [f32]) {
    let plane = image.width() as usize * image.height() as usize;
    debug_assert_eq!(out.len(), 3 * plane);
    for (i, p) in image.pixels().enumerate() {
        for c in 0..3 {
            let mut v = if config.do_rescale {
                (p[c] as f64 * config.rescale_factor) as f32
            } else {
                p[c] as f32
            };
            if config.do_normalize {
                v = (v - config.mean[c]) / config.std[c];
            }
            out[c * plane + i] = v;
        }
    }
}

/// Everything from a file to the model's input values; the error says why the image is unusable.
pub fn preprocess_file(
    path: &Path,
    config: &ImageConfig,
    out: &mut [f32],
) -> std::result::Result<(), String> {
    let image = load_rgb(path)?;
    let prepared = resize_and_crop(&image, config);
    if prepared.width() != config.crop_width || prepared.height() != config.crop_height {
        return Err(format!(
            "preprocessed to {}x{}, the model needs {}x{} (set do_center_crop or size)",
            prepared.width(),
            prepared.height(),
            config.crop_width,
            config.crop_height
        ));
    }
    to_tensor(&prepared, config, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_target_matches_transformers() {
        assert_eq!(resize_target(97, 41, 64), (151, 64));
        assert_eq!(resize_target(23, 130, 64), (64, 361));
        assert_eq!(resize_target(64, 64, 64), (64, 64));
    }

    #[test]
    fn a_constant_image_stays_constant_through_resize() {
        let image = RgbImage::from_pixel(37, 11, image::Rgb([10, 200, 255]));
        let resized = resize_bicubic(&image, 64, 19);
        assert!(resized.pixels().all(|p| p.0 == [10, 200, 255]));
    }

    #[test]
    fn crop_centres_like_numpy_slicing() {
        let mut image = RgbImage::new(5, 4);
        image.put_pixel(1, 1, image::Rgb([9, 9, 9]));
        // top = (4 - 2) // 2 = 1, left = (5 - 2) // 2 = 1.
        let cropped = center_crop(&image, 2, 2);
        assert_eq!(cropped.get_pixel(0, 0).0, [9, 9, 9]);
    }

    #[test]
    fn config_errors_name_the_problem() {
        assert!(ImageConfig::parse("{\"resample\": 2}")
            .unwrap_err()
            .contains("bicubic"));
        assert!(ImageConfig::parse("{\"image_std\": [0, 1, 1]}")
            .unwrap_err()
            .contains("zero"));
        assert!(ImageConfig::parse("[")
            .unwrap_err()
            .contains("preprocessor"));
    }
}
