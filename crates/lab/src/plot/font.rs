//! The shipped DejaVu Sans, registered with plotters once, so plots need no system fonts and
//! draw the same everywhere.

use std::sync::Once;

use plotters::style::FontStyle;

/// The family name plots use.
pub const FONT_FAMILY: &str = "sans-serif";

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Registers DejaVu Sans as [`FONT_FAMILY`] (idempotent, thread-safe).
pub fn ensure_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            if plotters::style::register_font(FONT_FAMILY, style, FONT).is_err() {
                panic!("the shipped DejaVuSans.ttf is not a valid font");
            }
        }
    });
}
