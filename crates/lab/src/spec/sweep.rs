//! `[sweep]`: the method and the axes. A scalar is a one-value axis, an array is a list of
//! values (for list-valued keys such as `hidden` or `betas`: an array of arrays), and a table
//! `{ log_range = [lo, hi], points = n }`, `{ range = [lo, hi], points = n }`,
//! `{ log_uniform = [lo, hi] }` or `{ uniform = [lo, hi] }` describes numbers.

use super::catalog;
use super::error::Diagnostics;
use super::param::Param;
use super::reader::{Located, TableReader, expect_number, type_error};
use super::tree::{Node, NodeValue};
use super::types::{Axis, AxisValues, SweepMethod, SweepSpec};

/// Sweep keys that set a trial field; every other key is an optimizer hyperparameter.
pub const TRIAL_KEYS: &[&str] = &[
    "optimizer",
    "lr",
    "batch_size",
    "hidden",
    "activation",
    "init",
    "clip_norm",
    "epochs",
    "steps",
    "schedule",
];

/// `true` for keys in [`TRIAL_KEYS`].
pub fn is_trial_key(key: &str) -> bool {
    TRIAL_KEYS.contains(&key)
}

/// Keys whose single value is itself an array.
const LIST_KEYS: &[&str] = &["hidden", "betas", "etas", "step_sizes", "milestones"];
/// Keys whose values are names or integers: no ranges or random distributions.
const POINT_KEYS: &[&str] = &[
    "optimizer",
    "activation",
    "init",
    "hidden",
    "batch_size",
    "epochs",
    "steps",
];
/// Keys that take a schedule table.
const TABLE_KEYS: &[&str] = &["schedule"];

pub(crate) fn read_sweep(d: &mut Diagnostics, mut t: TableReader) -> Option<SweepSpec> {
    let method = t.choice(d, "method", &["grid", "random"]);
    let trials = t.positive_count(d, "trials");
    let method = match (method.as_ref().map(|m| m.value.as_str()), trials) {
        (Some("random"), Some(n)) => SweepMethod::Random { trials: n.value },
        (Some("random"), None) => {
            t.missing(
                d,
                "trials",
                "random search needs `trials = N` (how many draws)",
            );
            SweepMethod::Random { trials: 1 }
        }
        (_, Some(n)) => {
            d.error(n.span, "`trials` only applies to `method = \"random\"`");
            SweepMethod::Grid
        }
        _ => SweepMethod::Grid,
    };
    let random = matches!(method, SweepMethod::Random { .. });
    let entries = t.take_rest();
    if entries.is_empty() {
        d.error_help(
            t.span.clone(),
            "empty sweep: [sweep] names no optimizer and no learning rate",
            "add e.g. optimizer = [\"sgd\", \"adam\"] and lr = { log_range = [1e-3, 1.0], points = 4 }",
        );
        return None;
    }
    let mut axes = Vec::new();
    for entry in entries {
        let values = read_axis(d, &entry.key, &entry.value, random)?;
        match &values {
            AxisValues::Points(points) => {
                for p in points {
                    check_value(d, &entry.key, p);
                }
            }
            AxisValues::Uniform(lo, _)
                if *lo <= 0.0 && matches!(entry.key.as_str(), "lr" | "clip_norm") =>
            {
                d.error(
                    entry.value.span.clone(),
                    format!(
                        "`{}` must be positive: its `uniform` range must start above 0",
                        entry.key
                    ),
                );
            }
            _ => {}
        }
        axes.push(Axis {
            key: entry.key.clone(),
            key_span: entry.key_span.clone(),
            values,
        });
    }
    for required in ["optimizer", "lr"] {
        if !axes.iter().any(|a| a.key == required) {
            t.missing(
                d,
                required,
                "the sweep needs `optimizer` and `lr` (a single value is a one-point axis)",
            );
        }
    }
    Some(SweepSpec { method, axes })
}

fn read_axis(d: &mut Diagnostics, key: &str, node: &Node, random: bool) -> Option<AxisValues> {
    let point = |node: &Node| Located {
        value: Param::Int(0),
        span: node.span.clone(),
    };
    match &node.value {
        NodeValue::Array(items) if items.is_empty() => {
            d.error(
                node.span.clone(),
                format!("empty sweep: `{key}` has no values"),
            );
            None
        }
        NodeValue::Array(items)
            if !LIST_KEYS.contains(&key) || matches!(items[0].value, NodeValue::Array(_)) =>
        {
            let mut points = Vec::new();
            for item in items {
                let value = Param::from_node(d, item, key)?;
                points.push(Located {
                    value,
                    ..point(item)
                });
            }
            Some(AxisValues::Points(points))
        }
        NodeValue::Table(_) if POINT_KEYS.contains(&key) => {
            type_error(d, node, key, "a value or an array of values");
            None
        }
        NodeValue::Table(entries) if !TABLE_KEYS.contains(&key) => read_distribution(
            d,
            key,
            TableReader::new(entries, node.span.clone(), format!("`{key}`")),
            random,
        ),
        _ => {
            let value = Param::from_node(d, node, key)?;
            Some(AxisValues::Points(vec![Located {
                value,
                ..point(node)
            }]))
        }
    }
}

fn read_distribution(
    d: &mut Diagnostics,
    key: &str,
    mut t: TableReader,
    random: bool,
) -> Option<AxisValues> {
    let log_range = t.node("log_range");
    let range = t.node("range");
    let log_uniform = t.node("log_uniform");
    let uniform = t.node("uniform");
    let points = t.positive_count(d, "points");
    let span = t.span.clone();
    let points_given = t.has("points");
    t.finish(d);
    let given: Vec<(&str, &Node)> = [
        ("log_range", log_range),
        ("range", range),
        ("log_uniform", log_uniform),
        ("uniform", uniform),
    ]
    .into_iter()
    .filter_map(|(k, n)| n.map(|n| (k, n)))
    .collect();
    let [(kind, bounds_node)] = given[..] else {
        d.error(
            span,
            format!("`{key}` needs exactly one of `log_range`, `range`, `log_uniform`, `uniform`"),
        );
        return None;
    };
    let (lo, hi) = bounds(d, kind, bounds_node, kind.starts_with("log"))?;
    match kind {
        "log_range" | "range" => {
            let Some(points) = points else {
                if points_given {
                    return None;
                }
                d.error_help(
                    span,
                    format!("missing key `points` in `{key}`"),
                    "how many grid points between the bounds",
                );
                return None;
            };
            let n = points.value;
            let at = |i: usize| {
                let f = if n == 1 {
                    0.0
                } else {
                    i as f64 / (n - 1) as f64
                };
                if kind == "log_range" {
                    (lo.ln() + f * (hi.ln() - lo.ln())).exp()
                } else {
                    lo + f * (hi - lo)
                }
            };
            let values = (0..n)
                .map(|i| Located {
                    value: Param::Number(round_significant(at(i))),
                    span: bounds_node.span.clone(),
                })
                .collect();
            Some(AxisValues::Points(values))
        }
        _ => {
            if let Some(p) = points {
                d.error(p.span, format!("`points` does not apply to `{kind}`"));
            }
            if !random {
                d.error_help(
                    bounds_node.span.clone(),
                    format!(
                        "`{kind}` draws random values: it needs `method = \"random\"` in [sweep]"
                    ),
                    "for a grid use `log_range` or `range` with `points`",
                );
                return None;
            }
            Some(if kind == "log_uniform" {
                AxisValues::LogUniform(lo, hi)
            } else {
                AxisValues::Uniform(lo, hi)
            })
        }
    }
}

/// Grid points rounded to 12 significant digits so that `log_range` gives `0.001`, not
/// `0.0009999999999999998`.
fn round_significant(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

fn bounds(d: &mut Diagnostics, kind: &str, node: &Node, log: bool) -> Option<(f64, f64)> {
    let NodeValue::Array(items) = &node.value else {
        type_error(d, node, kind, "an array [low, high]");
        return None;
    };
    let [lo, hi] = &items[..] else {
        type_error(d, node, kind, "an array of two numbers [low, high]");
        return None;
    };
    let (lo_v, hi_v) = (expect_number(d, lo, kind)?, expect_number(d, hi, kind)?);
    if log && lo_v <= 0.0 {
        d.error(
            lo.span.clone(),
            format!("`{kind}` bounds must be > 0 (it is spaced in log scale)"),
        );
        return None;
    }
    if hi_v < lo_v {
        d.error(
            node.span.clone(),
            format!("`{kind}` must be [low, high] with low <= high"),
        );
        return None;
    }
    Some((lo_v, hi_v))
}

/// Checks one value of a known axis (names, signs, integer-ness); optimizer hyperparameters are
/// checked later by the optimizer itself.
fn check_value(d: &mut Diagnostics, key: &str, p: &Located<Param>) {
    let span = p.span.clone();
    let name_in = |d: &mut Diagnostics, allowed: &[&str]| match &p.value {
        Param::Text(s) => {
            super::reader::check_choice(
                d,
                &Located {
                    value: s.clone(),
                    span: span.clone(),
                },
                key,
                allowed,
            );
        }
        other => d.error(
            span.clone(),
            format!("`{key}` values must be names, found {other}"),
        ),
    };
    match key {
        "optimizer" => name_in(d, catalog::optimizer_names()),
        "activation" => name_in(d, catalog::ACTIVATION_NAMES),
        "init" => name_in(d, catalog::INIT_NAMES),
        "lr" | "clip_norm" => match p.value.as_f64() {
            Some(x) if x > 0.0 && x.is_finite() => {}
            _ => d.error(
                span,
                format!("`{key}` must be a positive number, got {}", p.value),
            ),
        },
        "batch_size" if !matches!(p.value, Param::Int(i) if i >= 0) => d.error(
            span,
            format!(
                "`batch_size` must be an integer >= 0 (0 = full batch), got {}",
                p.value
            ),
        ),
        "epochs" | "steps" if !matches!(p.value, Param::Int(i) if i >= 1) => d.error(
            span,
            format!("`{key}` must be an integer >= 1, got {}", p.value),
        ),
        "hidden" => match &p.value {
            Param::List(items) if items.iter().all(|i| matches!(i, Param::Int(n) if *n >= 1)) => {}
            other => d.error(
                span,
                format!("`hidden` values must be arrays of layer widths >= 1, got {other}"),
            ),
        },
        "schedule" if !matches!(&p.value, Param::Table(t) if matches!(t.get("kind"), Some(Param::Text(_)))) => {
            d.error(
                span,
                "`schedule` values must be tables with a `kind`, e.g. { kind = \"cosine\" }",
            )
        }
        _ => {}
    }
}
