//! Plots for reports (plotters, SVG and PNG, text in the shipped DejaVu Sans font).

mod chart;
mod figure;
mod font;
mod heatmap;
mod style;

pub use chart::{ChartGrid, Crosses, LineChart, Series};
pub use figure::{DrawResult, Figure, draw_err, save_figure};
pub use font::{FONT_FAMILY, ensure_font};
pub use heatmap::Heatmap;
pub use style::{color, format_number, viridis};
