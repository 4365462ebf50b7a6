//! WCAG contrast for highlight themes: every colour a theme gives text is moved toward black
//! (on a light background) or white (on a dark one) just far enough to reach AA, 4.5:1 against
//! the background it is drawn on. Many stock themes draw comments at about 2.8:1.

use syntect::highlighting::{Color, Theme};

/// The contrast WCAG AA asks of body text.
pub(crate) const AA: f64 = 4.5;

/// The relative luminance of an sRGB colour (WCAG 2.x).
pub(crate) fn luminance(c: Color) -> f64 {
    let channel = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
}

/// The contrast ratio of two colours, 1 to 21.
pub(crate) fn ratio(a: Color, b: Color) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// `fg`, or the nearest colour on its way to black or white (whichever contrasts more with
/// `bg`) that reaches AA against `bg`.
pub(crate) fn readable(fg: Color, bg: Color) -> Color {
    if ratio(fg, bg) >= AA {
        return fg;
    }
    let white = Color::WHITE;
    let black = Color::BLACK;
    let target = if ratio(white, bg) > ratio(black, bg) {
        white
    } else {
        black
    };
    let mix = |a: u8, b: u8, t: f64| (f64::from(a) * (1.0 - t) + f64::from(b) * t).round() as u8;
    (1..=50)
        .map(|step| {
            let t = f64::from(step) / 50.0;
            Color {
                r: mix(fg.r, target.r, t),
                g: mix(fg.g, target.g, t),
                b: mix(fg.b, target.b, t),
                a: fg.a,
            }
        })
        .find(|c| ratio(*c, bg) >= AA)
        .unwrap_or(target)
}

/// The background of a marked line (`hl_lines`): the theme's background moved 8 % toward its
/// text colour, a tint every theme's text stays readable on.
pub(crate) fn marked_background(theme: &Theme) -> Color {
    let bg = theme.settings.background.unwrap_or(Color::WHITE);
    let fg = theme.settings.foreground.unwrap_or(Color::BLACK);
    let mix = |a: u8, b: u8| (f64::from(a) * 0.92 + f64::from(b) * 0.08).round() as u8;
    Color {
        r: mix(bg.r, fg.r),
        g: mix(bg.g, fg.g),
        b: mix(bg.b, fg.b),
        a: 0xFF,
    }
}

/// `theme` with every text colour readable on the background it is drawn on (a scope's own
/// background, else the theme's, and a marked line's).
pub(crate) fn accessible(theme: &Theme) -> Theme {
    let marked = marked_background(theme);
    let mut theme = theme.clone();
    let bg = theme.settings.background.unwrap_or(Color::WHITE);
    // Readable on the plainer background first, then on the marked one (a further step the
    // same way, as both lie on the same side of the text).
    let both = |fg: Color| readable(readable(fg, bg), marked);
    if let Some(fg) = theme.settings.foreground.as_mut() {
        *fg = both(*fg);
    }
    for item in &mut theme.scopes {
        if let Some(fg) = item.style.foreground.as_mut() {
            *fg = match item.style.background {
                Some(own) => readable(*fg, own),
                None => both(*fg),
            };
        }
    }
    theme
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn rgb(r: u8, g: u8, b: u8) -> Color {
        Color { r, g, b, a: 0xFF }
    }

    #[test]
    fn ratio_matches_wcag_examples() {
        assert!((ratio(Color::BLACK, Color::WHITE) - 21.0).abs() < 1e-9);
        // #777 on white is the well-known 4.48:1.
        assert!((ratio(rgb(0x77, 0x77, 0x77), Color::WHITE) - 4.48).abs() < 0.01);
    }

    #[test]
    fn readable_moves_only_as_far_as_needed() {
        let grey = rgb(0x96, 0x98, 0x96); // InspiredGitHub's comments, ≈ 2.9:1 on white
        let fixed = readable(grey, Color::WHITE);
        assert!(ratio(fixed, Color::WHITE) >= AA);
        assert!(fixed.r < grey.r, "darker on a light background");
        assert!(
            ratio(fixed, Color::WHITE) < 5.2,
            "not much darker than needed"
        );
        let dark_bg = rgb(0x2b, 0x30, 0x3b);
        let fixed = readable(rgb(0x65, 0x73, 0x7e), dark_bg);
        assert!(
            ratio(fixed, dark_bg) >= AA && fixed.r > 0x65,
            "lighter on a dark one"
        );
        let fine = rgb(0x10, 0x10, 0x10);
        assert_eq!(
            readable(fine, Color::WHITE),
            fine,
            "a readable colour is kept"
        );
    }
}
