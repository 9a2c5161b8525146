//! Colours, text sizes and number formatting shared by every plot.

use plotters::style::RGBColor;

/// Tableau-10: distinct, colour-blind-friendlier line colours.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of series `i`.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

pub const TITLE_SIZE: u32 = 26;
pub const LABEL_SIZE: u32 = 18;
pub const TICK_SIZE: u32 = 15;

/// A number for an axis or a cell: plain decimals for everyday magnitudes, else `1.2e-5`.
pub fn format_number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if (1e-3..1e4).contains(&a) {
        let digits = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
        let s = format!("{x:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else {
        let s = format!("{x:.1e}");
        s.replace(".0e", "e")
    }
}

/// A log-axis tick: `x` to two significant digits (`10^0.2` -> `1.6`, `10^-2.4` -> `0.004`).
pub fn format_tick(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format_number(x);
    }
    let magnitude = x.abs().log10().floor();
    let unit = 10f64.powf(magnitude - 1.0);
    format_number((x / unit).round() * unit)
}

/// Colour of `t` in `[0, 1]` on the viridis map (linear between five of its stops).
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + f * (y - x)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_compactly() {
        assert_eq!(format_number(0.001), "0.001");
        assert_eq!(format_number(0.0123456), "0.0123");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(1500.0), "1500");
        assert_eq!(format_number(1e-5), "1e-5");
        assert_eq!(format_number(3.2e-7), "3.2e-7");
    }

    #[test]
    fn log_ticks_keep_two_significant_digits() {
        assert_eq!(format_tick(10f64.powf(0.2)), "1.6");
        assert_eq!(format_tick(10f64.powf(-0.2)), "0.63");
        assert_eq!(format_tick(10f64.powf(-2.5)), "0.0032");
        assert_eq!(format_tick(1000.0), "1000");
    }

    #[test]
    fn viridis_runs_from_purple_to_yellow() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(0.5), RGBColor(33, 145, 140));
    }
}
