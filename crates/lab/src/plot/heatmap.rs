//! A labelled heatmap (rows x columns of values, each cell coloured on viridis and printed;
//! missing cells, e.g. diverged ones, grey with a label).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::figure::{DrawResult, Figure, draw_err};
use super::font::FONT_FAMILY;
use super::style::{LABEL_SIZE, TICK_SIZE, TITLE_SIZE, format_number, viridis};

/// Cells `values[row][column]`: a value (coloured and printed) or a note such as "diverged"
/// (grey).
#[derive(Clone, Debug, Default)]
pub struct Heatmap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub columns: Vec<String>,
    pub rows: Vec<String>,
    pub values: Vec<Vec<Result<f64, String>>>,
    /// Colour by `log10(value)` (for losses spanning decades).
    pub log_color: bool,
    /// Low values are good (colour them bright).
    pub lower_is_better: bool,
}

impl Heatmap {
    /// Position of `v` in the colour range, 0 = worst, 1 = best.
    fn shade(&self, v: f64, lo: f64, hi: f64) -> f64 {
        let t = if hi > lo {
            (self.key(v) - lo) / (hi - lo)
        } else {
            0.5
        };
        if self.lower_is_better { 1.0 - t } else { t }
    }

    fn key(&self, v: f64) -> f64 {
        if self.log_color {
            v.max(1e-30).log10()
        } else {
            v
        }
    }
}

impl Figure for Heatmap {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        // `(0..n - 1).into_segmented()` has the n segments [0,1), ..., [n-1, n).
        let (nx, ny) = (
            self.columns.len().max(1) as i32,
            self.rows.len().max(1) as i32,
        );
        let keys: Vec<f64> = self
            .values
            .iter()
            .flatten()
            .filter_map(|v| v.as_ref().ok())
            .filter(|v| v.is_finite())
            .map(|&v| self.key(v))
            .collect();
        let lo = keys.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = keys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FONT_FAMILY, TITLE_SIZE))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(110)
            .build_cartesian_2d((0..nx - 1).into_segmented(), (0..ny - 1).into_segmented())
            .map_err(draw_err)?;
        let label = |labels: &[String], v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let fx = |v: &SegmentValue<i32>| label(&self.columns, v);
        let fy = |v: &SegmentValue<i32>| label(&self.rows, v);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_labels(self.columns.len())
            .y_labels(self.rows.len())
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .label_style((FONT_FAMILY, TICK_SIZE))
            .axis_desc_style((FONT_FAMILY, LABEL_SIZE))
            .draw()
            .map_err(draw_err)?;
        let text_size = match self.columns.len() {
            0..=10 => 14,
            11..=18 => 11,
            _ => 9,
        };
        for (r, row) in self.values.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                let (x, y) = (c as i32, r as i32);
                let (fill, text, dark) = match value {
                    Ok(v) if v.is_finite() => {
                        let t = self.shade(*v, lo, hi);
                        (viridis(t), format_number(*v), t < 0.6)
                    }
                    Ok(_) => (RGBColor(200, 200, 200), "n/a".to_string(), false),
                    Err(note) => (RGBColor(200, 200, 200), note.clone(), false),
                };
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [
                            (SegmentValue::Exact(x), SegmentValue::Exact(y)),
                            (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1)),
                        ],
                        fill.filled(),
                    )))
                    .map_err(draw_err)?;
                let ink = if dark { WHITE } else { BLACK };
                let style = TextStyle::from((FONT_FAMILY, text_size).into_font())
                    .color(&ink)
                    .pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Center,
                        plotters::style::text_anchor::VPos::Center,
                    ));
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)),
                        style,
                    )))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }
}
