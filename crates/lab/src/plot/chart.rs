//! A line chart with optional log axes, seed bands and crossed-out (diverged) points.
//!
//! Log axes are drawn as linear axes over `log10` of the data with tick labels `10^v`, so one
//! code path serves every axis combination.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::figure::{DrawResult, Figure, draw_err};
use super::font::FONT_FAMILY;
use super::style::{LABEL_SIZE, TICK_SIZE, TITLE_SIZE, color, format_number, format_tick};

/// One line of a chart.
#[derive(Clone, Debug, Default)]
pub struct Series {
    pub label: String,
    /// `(x, y)`, drawn in order; non-finite points (and non-positive ones on a log axis) split
    /// the line.
    pub points: Vec<(f64, f64)>,
    /// `(x, low, high)`: a shaded band (e.g. the spread over seeds).
    pub band: Vec<(f64, f64, f64)>,
    /// Draw a dot at every point (for sparse data such as an lr grid).
    pub dots: bool,
    /// Palette index (so one optimizer keeps its colour across plots).
    pub color: usize,
}

/// Points drawn as crosses, e.g. diverged trials.
#[derive(Clone, Debug, Default)]
pub struct Crosses {
    pub label: String,
    pub points: Vec<(f64, f64, usize)>,
}

/// A titled chart with labelled axes and a legend.
#[derive(Clone, Debug, Default)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub series: Vec<Series>,
    pub crosses: Crosses,
    /// Vertical marker lines `(x, label)` (e.g. a suggested learning rate).
    pub vlines: Vec<(f64, String)>,
    /// Legend in the lower right corner (for rising curves such as accuracy) instead of the
    /// upper right.
    pub legend_bottom: bool,
}

impl LineChart {
    fn tx(&self, x: f64) -> Option<f64> {
        transform(x, self.log_x)
    }

    fn ty(&self, y: f64) -> Option<f64> {
        transform(y, self.log_y)
    }

    /// Ranges of the transformed data, padded by 5% (a unit range when there is no data).
    fn ranges(&self) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for s in &self.series {
            for &(x, y) in &s.points {
                if let (Some(x), Some(y)) = (self.tx(x), self.ty(y)) {
                    xs.push(x);
                    ys.push(y);
                }
            }
            for &(x, lo, hi) in &s.band {
                if let Some(x) = self.tx(x) {
                    xs.push(x);
                    ys.extend(self.ty(lo));
                    ys.extend(self.ty(hi));
                }
            }
        }
        for &(x, y, _) in &self.crosses.points {
            xs.extend(self.tx(x));
            ys.extend(self.ty(y));
        }
        xs.extend(self.vlines.iter().filter_map(|(x, _)| self.tx(*x)));
        (padded(&xs), padded(&ys))
    }
}

fn transform(v: f64, log: bool) -> Option<f64> {
    match (log, v.is_finite()) {
        (_, false) => None,
        (true, _) if v <= 0.0 => None,
        (true, _) => Some(v.log10()),
        (false, _) => Some(v),
    }
}

fn padded(values: &[f64]) -> std::ops::Range<f64> {
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return 0.0..1.0;
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    lo - pad..hi + pad
}

impl Figure for LineChart {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let (xr, yr) = self.ranges();
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FONT_FAMILY, TITLE_SIZE))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(xr, yr)
            .map_err(draw_err)?;
        let (log_x, log_y) = (self.log_x, self.log_y);
        let fx = move |v: &f64| {
            if log_x {
                format_tick(10f64.powf(*v))
            } else {
                format_number(*v)
            }
        };
        let fy = move |v: &f64| {
            if log_y {
                format_tick(10f64.powf(*v))
            } else {
                format_number(*v)
            }
        };
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&fx)
            .y_label_formatter(&fy)
            .label_style((FONT_FAMILY, TICK_SIZE))
            .axis_desc_style((FONT_FAMILY, LABEL_SIZE))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(draw_err)?;
        for s in &self.series {
            let c = color(s.color);
            let band: Vec<(f64, f64, f64)> = s
                .band
                .iter()
                .filter_map(|&(x, lo, hi)| Some((self.tx(x)?, self.ty(lo)?, self.ty(hi)?)))
                .collect();
            if band.len() >= 2 {
                let mut outline: Vec<(f64, f64)> = band.iter().map(|&(x, _, hi)| (x, hi)).collect();
                outline.extend(band.iter().rev().map(|&(x, lo, _)| (x, lo)));
                chart
                    .draw_series(std::iter::once(Polygon::new(outline, c.mix(0.18).filled())))
                    .map_err(draw_err)?;
            }
            let mut first = true;
            for segment in segments(&s.points, |x| self.tx(x), |y| self.ty(y)) {
                let drawn = chart
                    .draw_series(LineSeries::new(segment.iter().copied(), c.stroke_width(2)))
                    .map_err(draw_err)?;
                if first && !s.label.is_empty() {
                    drawn.label(&s.label).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3))
                    });
                    first = false;
                }
                if s.dots {
                    chart
                        .draw_series(segment.iter().map(|&p| Circle::new(p, 3, c.filled())))
                        .map_err(draw_err)?;
                }
            }
        }
        if !self.crosses.points.is_empty() {
            let (yr_lo, yr_hi) = (chart.y_range().start, chart.y_range().end);
            let crosses: Vec<(f64, f64, usize)> = self
                .crosses
                .points
                .iter()
                .filter_map(|&(x, y, c)| {
                    Some((
                        self.tx(x)?,
                        self.ty(y).unwrap_or(yr_hi).clamp(yr_lo, yr_hi),
                        c,
                    ))
                })
                .collect();
            let drawn = chart
                .draw_series(
                    crosses
                        .iter()
                        .map(|&(x, y, c)| Cross::new((x, y), 6, color(c).stroke_width(2))),
                )
                .map_err(draw_err)?;
            if !self.crosses.label.is_empty() {
                drawn
                    .label(&self.crosses.label)
                    .legend(|(x, y)| Cross::new((x + 9, y), 6, BLACK.stroke_width(2)));
            }
        }
        let y_span = chart.y_range();
        for (x, label) in &self.vlines {
            if let Some(x) = self.tx(*x) {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, y_span.start), (x, y_span.end)],
                        BLACK.stroke_width(1),
                    )))
                    .map_err(draw_err)?
                    .label(label)
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], BLACK.stroke_width(1))
                    });
            }
        }
        chart
            .configure_series_labels()
            .position(if self.legend_bottom {
                SeriesLabelPosition::LowerRight
            } else {
                SeriesLabelPosition::UpperRight
            })
            .label_font((FONT_FAMILY, TICK_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(draw_err)
    }
}

/// The runs of consecutive drawable points, transformed.
fn segments(
    points: &[(f64, f64)],
    tx: impl Fn(f64) -> Option<f64>,
    ty: impl Fn(f64) -> Option<f64>,
) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for &(x, y) in points {
        match (tx(x), ty(y)) {
            (Some(x), Some(y)) => out.last_mut().expect("non-empty").push((x, y)),
            _ => {
                if !out.last().expect("non-empty").is_empty() {
                    out.push(Vec::new());
                }
            }
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Several charts side by side (`columns` per row), e.g. one per optimizer.
#[derive(Clone, Debug, Default)]
pub struct ChartGrid {
    pub charts: Vec<LineChart>,
    pub columns: usize,
}

impl Figure for ChartGrid {
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult {
        let columns = self.columns.max(1);
        let rows = self.charts.len().div_ceil(columns).max(1);
        for (chart, cell) in self.charts.iter().zip(area.split_evenly((rows, columns))) {
            chart.draw(&cell)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_and_non_positive_points_split_log_lines() {
        let pts = [
            (1.0, 1.0),
            (2.0, f64::NAN),
            (3.0, 2.0),
            (4.0, -1.0),
            (5.0, 3.0),
        ];
        let segs = segments(&pts, |x| transform(x, false), |y| transform(y, true));
        assert_eq!(segs.len(), 3);
        assert_eq!(segs[1], vec![(3.0, 2f64.log10())]);
        assert_eq!(padded(&[]), 0.0..1.0);
        assert_eq!(padded(&[2.0]), 1.5..2.5);
    }
}
