//! Rendering a figure to SVG (kept as text for inlining) and PNG, both written atomically.

use std::fs::File;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::font::ensure_font;

/// Errors of drawing, as text (plotters' errors are generic over the backend).
pub type DrawResult = Result<(), String>;

/// Turns any displayable drawing error into the message [`DrawResult`] carries.
pub fn draw_err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Something that draws itself on any plotters backend.
pub trait Figure {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult;
}

/// Draws `figure` at `size` pixels to `<dir>/<stem>.svg` and `<dir>/<stem>.png`; returns the
/// SVG text (for inlining into HTML).
pub fn save_figure(
    figure: &impl Figure,
    dir: &Path,
    stem: &str,
    size: (u32, u32),
) -> Result<String, String> {
    ensure_font();
    std::fs::create_dir_all(dir).map_err(draw_err)?;
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        area.fill(&WHITE).map_err(draw_err)?;
        figure.draw(&area)?;
        area.present().map_err(draw_err)?;
    }
    crate::store::write_atomic(&dir.join(format!("{stem}.svg")), svg.as_bytes())
        .map_err(draw_err)?;
    let temp = dir.join(format!(
        "{}{stem}-{}.png",
        crate::store::TEMP_PREFIX,
        crate::store::writer_tag()
    ));
    {
        let area = BitMapBackend::new(&temp, size).into_drawing_area();
        area.fill(&WHITE).map_err(draw_err)?;
        figure.draw(&area)?;
        area.present().map_err(draw_err)?;
    }
    File::open(&temp)
        .and_then(|f| f.sync_all())
        .map_err(draw_err)?;
    std::fs::rename(&temp, dir.join(format!("{stem}.png"))).map_err(draw_err)?;
    Ok(svg)
}
