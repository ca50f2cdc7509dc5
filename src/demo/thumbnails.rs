//! Thumbnails that show what the embeddings encode: the context is the background, the class
//! the shape, the colour the shape's fill; a close-up fills the frame and a blurry photo is
//! blurred, so a planted failure is visible at a glance.

use super::Look;
use image::{Rgb, RgbImage};

const SIZE: u32 = 64;

fn colour_rgb(colour: usize) -> Rgb<u8> {
    match colour {
        0 => Rgb([25, 25, 25]),    // black
        1 => Rgb([250, 250, 250]), // white
        2 => Rgb([125, 75, 35]),   // brown
        3 => Rgb([205, 35, 35]),   // red
        _ => Rgb([135, 135, 135]), // grey
    }
}

fn background(context: usize, x: u32, y: u32) -> Rgb<u8> {
    let ground = y > SIZE * 2 / 3;
    match context {
        // at night: dark sky with stars
        0 => {
            let star = (x * 7 + y * 13) % 97 == 0 && !ground;
            if star {
                Rgb([240, 240, 200])
            } else if ground {
                Rgb([20, 25, 35])
            } else {
                Rgb([12, 18, 55])
            }
        }
        // in the snow: pale sky, white ground
        1 => {
            if ground {
                Rgb([245, 248, 252])
            } else {
                Rgb([215, 225, 235])
            }
        }
        // on the grass
        2 => {
            if ground {
                Rgb([60, 150, 55])
            } else {
                Rgb([135, 195, 235])
            }
        }
        // on the beach: sky over sand
        3 => {
            if ground {
                Rgb([232, 212, 150])
            } else {
                Rgb([110, 180, 230])
            }
        }
        // indoors: wall over wooden floor
        _ => {
            if ground {
                Rgb([150, 105, 65])
            } else {
                Rgb([200, 185, 160])
            }
        }
    }
}

/// Whether (x, y) lies inside the class's shape, centred in the frame and `zoom` times its
/// usual size.
fn inside(class: usize, x: u32, y: u32, zoom: f64) -> bool {
    let (cx, cy) = ((x as f64 - 32.0) / zoom, (y as f64 - 34.0) / zoom);
    match class % 10 {
        0 => cx * cx + cy * cy < 15.0 * 15.0, // disc
        1 => cy > -16.0 && cy < 14.0 && cx.abs() < (cy + 16.0) * 0.55, // triangle
        2 => cx.abs() + cy.abs() < 14.0,      // diamond
        3 => cx.abs() < 20.0 && cy.abs() < 9.0, // wide box
        4 => cy > 0.0 && cy < 12.0 && cx.abs() < 22.0 - cy, // hull
        5 => (cx / 10.0).powi(2) + (cy / 18.0).powi(2) < 1.0, // tall ellipse
        6 => cy > -14.0 && cy < 14.0 && cx.abs() < (14.0 - cy) * 0.6, // downward triangle
        7 => cx.abs() < 4.0 && cy.abs() < 16.0 || cy.abs() < 4.0 && cx.abs() < 16.0, // cross
        8 => (cx / 18.0).powi(2) + (cy / 9.0).powi(2) < 1.0, // wide ellipse
        _ => cx.abs() < 12.0 && cy.abs() < 12.0, // square
    }
}

/// A 64x64 picture of what `look` shows.
pub fn render_thumbnail(look: &Look) -> RgbImage {
    let zoom = if look.quality == Some(1) { 1.8 } else { 1.0 };
    let sharp = RgbImage::from_fn(SIZE, SIZE, |x, y| {
        if inside(look.class as usize, x, y, zoom) {
            colour_rgb(look.colour)
        } else {
            background(look.context, x, y)
        }
    });
    if look.quality == Some(0) {
        blur(&sharp, 4)
    } else {
        sharp
    }
}

/// A box blur of the given radius (edges clamped).
fn blur(image: &RgbImage, radius: i64) -> RgbImage {
    let at = |x: i64, y: i64| {
        let x = x.clamp(0, SIZE as i64 - 1) as u32;
        let y = y.clamp(0, SIZE as i64 - 1) as u32;
        image.get_pixel(x, y).0
    };
    RgbImage::from_fn(SIZE, SIZE, |x, y| {
        let mut sum = [0u32; 3];
        let mut n = 0;
        for dy in -radius..=radius {
            for dx in -radius..=radius {
                let p = at(x as i64 + dx, y as i64 + dy);
                for k in 0..3 {
                    sum[k] += u32::from(p[k]);
                }
                n += 1;
            }
        }
        Rgb(sum.map(|v| (v / n) as u8))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each colour word means, checked by its meaning, not by restating the table: the
    /// shape at the centre of the thumbnail looks like its name.
    #[test]
    fn shapes_have_the_colour_their_name_says() {
        let look = |colour, context, quality| Look {
            class: 0,
            colour,
            context,
            quality,
        };
        for (colour, name) in crate::demo::COLOURS.iter().enumerate() {
            let img = render_thumbnail(&look(colour, 2, None));
            let [r, g, b] = img.get_pixel(32, 34).0.map(i32::from);
            let ok = match *name {
                "black" => r.max(g).max(b) < 60,
                "white" => r.min(g).min(b) > 200,
                "brown" => r > g && g > b && (90..180).contains(&r),
                "red" => r > 150 && g < 80 && b < 80,
                "grey" => (r - g).abs() < 15 && (g - b).abs() < 15 && (90..180).contains(&r),
                other => panic!("no expectation for the colour {other}"),
            };
            assert!(ok, "{name} drawn as {r},{g},{b}");
        }
        // "on the grass": sky above (more blue than red), grass below (green strongest).
        let img = render_thumbnail(&look(0, 2, None));
        let [r, _, b] = img.get_pixel(1, 1).0;
        assert!(b > r, "sky");
        let [r, g, b] = img.get_pixel(1, 62).0;
        assert!(g > r && g > b, "grass");
    }

    /// A close-up's shape reaches further from the centre; a blurry photo has no hard edge.
    #[test]
    fn close_ups_are_bigger_and_blurry_photos_are_soft() {
        let look = |quality| Look {
            class: 0,
            colour: 1,
            context: 0,
            quality,
        };
        let white = |img: &RgbImage, x, y| img.get_pixel(x, y).0 == [250, 250, 250];
        let (plain, close) = (
            render_thumbnail(&look(None)),
            render_thumbnail(&look(Some(1))),
        );
        assert!(!white(&plain, 32 + 22, 34) && white(&close, 32 + 22, 34));
        // Across the disc's edge a sharp picture jumps; a blurry one steps.
        let edge = |img: &RgbImage| {
            (40..63)
                .map(|x| {
                    let a = i32::from(img.get_pixel(x, 34).0[0]);
                    let b = i32::from(img.get_pixel(x + 1, 34).0[0]);
                    (a - b).abs()
                })
                .max()
                .unwrap()
        };
        assert!(edge(&plain) > 150 && edge(&render_thumbnail(&look(Some(0)))) < 60);
    }
}
