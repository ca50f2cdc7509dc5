//! Thumbnails that show what the embeddings encode: the context is the background, the class
//! the shape, the colour the shape's fill, so a planted failure is visible at a glance.

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

/// Whether (x, y) lies inside the class's shape, centred in the frame.
fn inside(class: usize, x: u32, y: u32) -> bool {
    let (cx, cy) = (x as f64 - 32.0, y as f64 - 34.0);
    match class {
        0 => cx * cx + cy * cy < 15.0 * 15.0, // dog: disc
        1 => cy > -16.0 && cy < 14.0 && cx.abs() < (cy + 16.0) * 0.55, // cat: triangle
        2 => cx.abs() + cy.abs() < 14.0,      // bird: diamond
        3 => cx.abs() < 20.0 && cy.abs() < 9.0, // car: wide box
        4 => cy > 0.0 && cy < 12.0 && cx.abs() < 22.0 - cy, // boat: hull
        _ => (cx / 10.0).powi(2) + (cy / 18.0).powi(2) < 1.0, // horse: tall ellipse
    }
}

/// A 64x64 picture of a `colour` `class` in `context` (indices into the demo's lists).
pub fn render_thumbnail(class: usize, colour: usize, context: usize) -> RgbImage {
    RgbImage::from_fn(SIZE, SIZE, |x, y| {
        if inside(class, x, y) {
            colour_rgb(colour)
        } else {
            background(context, x, y)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each colour word means, checked by its meaning, not by restating the table: the
    /// shape at the centre of the thumbnail looks like its name.
    #[test]
    fn shapes_have_the_colour_their_name_says() {
        for (colour, name) in crate::demo::COLOURS.iter().enumerate() {
            let img = render_thumbnail(0, colour, 2);
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
        let img = render_thumbnail(0, 0, 2);
        let [r, _, b] = img.get_pixel(1, 1).0;
        assert!(b > r, "sky");
        let [r, g, b] = img.get_pixel(1, 62).0;
        assert!(g > r && g > b, "grass");
    }
}
