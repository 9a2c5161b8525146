//! Conformance to PyTorch (and to the papers, for Lion and Lookahead): runs every case in
//! `tests/data/torch/`, `tests/data/hand/` and, when set, `$DESCENT_CONFORMANCE_DIR`, step by
//! step, within 1e-5 relative + 1e-6 absolute error. A case this crate cannot run fails.

use std::path::{Path, PathBuf};

use descent_optim::{
    Hyper, HyperValue, NormType, Scheduler, build_optimizer, build_scheduler, clip_grad_norm,
    clip_grad_value, default_lr,
};
use serde_json::Value;

const REL: f64 = 1e-5;
const ABS: f64 = 1e-6;

fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read conformance directory {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn field<'a>(case: &'a Value, key: &str) -> Result<&'a Value, String> {
    case.get(key)
        .ok_or_else(|| format!("missing field `{key}`"))
}

fn text<'a>(case: &'a Value, key: &str) -> Result<&'a str, String> {
    field(case, key)?
        .as_str()
        .ok_or_else(|| format!("`{key}` is not a string"))
}

fn numbers(v: &Value) -> Result<Vec<f64>, String> {
    v.as_array()
        .ok_or("expected a list of numbers")?
        .iter()
        .map(|x| x.as_f64().ok_or_else(|| format!("{x} is not a number")))
        .collect()
}

fn rows(v: &Value) -> Result<Vec<Vec<f64>>, String> {
    v.as_array()
        .ok_or("expected a list of lists")?
        .iter()
        .map(numbers)
        .collect()
}

fn hyper(v: Option<&Value>) -> Result<Hyper, String> {
    let Some(v) = v else { return Ok(Hyper::new()) };
    let map = v.as_object().ok_or("`hyperparameters` is not an object")?;
    map.iter()
        .map(|(k, v)| {
            let value = match v {
                Value::Number(n) => HyperValue::Number(n.as_f64().ok_or("bad number")?),
                Value::Bool(b) => HyperValue::Bool(*b),
                Value::String(s) => HyperValue::Text(s.clone()),
                Value::Array(_) => HyperValue::List(numbers(v)?),
                other => {
                    return Err(format!(
                        "hyperparameter `{k}` = {other} has no HyperValue form"
                    ));
                }
            };
            Ok((k.clone(), value))
        })
        .collect()
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= ABS + REL * expected.abs()
}

fn compare(what: &str, actual: &[f32], expected: &[f64]) -> Result<(), String> {
    if actual.len() != expected.len() {
        return Err(format!(
            "{what}: {} values, expected {}",
            actual.len(),
            expected.len()
        ));
    }
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        if !close(f64::from(a), e) {
            return Err(format!(
                "{what}[{i}] = {a}, expected {e} (off by {:.3e})",
                (f64::from(a) - e).abs()
            ));
        }
    }
    Ok(())
}

fn to_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn run_optimizer(case: &Value) -> Result<usize, String> {
    let name = text(case, "optimizer")?;
    let hyper = hyper(case.get("hyperparameters"))?;
    let lr = match hyper.get("lr") {
        Some(HyperValue::Number(lr)) => *lr as f32,
        _ => {
            default_lr(name).ok_or_else(|| format!("no lr given and no default lr for `{name}`"))?
        }
    };
    let mut optimizer = build_optimizer(name, &hyper).map_err(|e| e.to_string())?;
    let mut params = to_f32(&numbers(field(case, "init")?)?);
    let grads = rows(field(case, "grads")?)?;
    let expected = rows(field(case, "expected_params")?)?;
    if grads.len() != expected.len() || grads.is_empty() {
        return Err(format!(
            "{} gradient steps but {} expected steps",
            grads.len(),
            expected.len()
        ));
    }
    for (t, (g, e)) in grads.iter().zip(&expected).enumerate() {
        optimizer.step(&mut params, &to_f32(g), lr);
        compare(&format!("step {t}: params"), &params, e)?;
    }
    Ok(expected.len() * params.len())
}

fn build_case_scheduler(case: &Value, base_lr: f32, steps: usize) -> Result<Scheduler, String> {
    let name = text(case, "scheduler")?;
    let hyper = hyper(case.get("hyperparameters"))?;
    if !name.eq_ignore_ascii_case("SequentialLR") {
        return build_scheduler(name, &hyper, base_lr, steps).map_err(|e| e.to_string());
    }
    let milestones = match hyper.get("milestones") {
        Some(HyperValue::List(m)) => m.iter().map(|&x| x as usize).collect(),
        _ => return Err("SequentialLR without `milestones`".into()),
    };
    let parts = field(case, "schedulers")?
        .as_array()
        .ok_or("`schedulers` is not a list")?
        .iter()
        .map(|part| {
            let part_hyper = hyper_of(part)?;
            build_scheduler(text(part, "name")?, &part_hyper, base_lr, steps)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    Scheduler::sequential(parts, milestones).map_err(|e| e.to_string())
}

fn hyper_of(part: &Value) -> Result<Hyper, String> {
    hyper(part.get("hyperparameters"))
}

fn run_scheduler(case: &Value) -> Result<usize, String> {
    let base_lr = field(case, "base_lr")?
        .as_f64()
        .ok_or("`base_lr` is not a number")? as f32;
    let steps = field(case, "steps")?
        .as_u64()
        .ok_or("`steps` is not a count")? as usize;
    let expected = numbers(field(case, "expected_lr")?)?;
    let metrics = case.get("metrics").map(numbers).transpose()?;
    if expected.len() != steps {
        return Err(format!("{} expected lrs for {steps} steps", expected.len()));
    }
    let mut scheduler = build_case_scheduler(case, base_lr, steps)?;
    for (t, &e) in expected.iter().enumerate() {
        compare(&format!("step {t}: lr()"), &[scheduler.lr()], &[e])?;
        if let Some(closed) = scheduler.lr_at(t) {
            compare(&format!("step {t}: lr_at({t})"), &[closed], &[e])?;
        }
        let metric = metrics
            .as_ref()
            .map(|m| m.get(t).copied().ok_or(format!("no metric for step {t}")))
            .transpose()?;
        scheduler.step(metric.map(|m| m as f32));
    }
    Ok(steps)
}

fn run_clip(case: &Value) -> Result<usize, String> {
    let h = case
        .get("hyperparameters")
        .ok_or("missing `hyperparameters`")?;
    let number = |key: &str| {
        h.get(key)
            .and_then(Value::as_f64)
            .ok_or(format!("missing number `{key}`"))
    };
    let mut grad = to_f32(&numbers(field(case, "grad")?)?);
    let expected = numbers(field(case, "expected_grad")?)?;
    match text(case, "clip")? {
        "clip_grad_norm_" => {
            let norm_type = match h.get("norm_type") {
                None => NormType::L2,
                Some(Value::String(s)) if s == "inf" => NormType::Inf,
                Some(v) if v.as_f64() == Some(2.0) => NormType::L2,
                Some(v) if v.as_f64() == Some(1.0) => NormType::L1,
                Some(v) => return Err(format!("norm_type {v} is not supported")),
            };
            clip_grad_norm(&mut grad, number("max_norm")? as f32, norm_type);
        }
        "clip_grad_value_" => clip_grad_value(&mut grad, number("clip_value")? as f32),
        other => return Err(format!("unknown clip `{other}`")),
    }
    compare("grad", &grad, &expected)?;
    Ok(grad.len())
}

fn run_case(path: &Path) -> Result<usize, String> {
    let text_ = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&text_).map_err(|e| format!("not JSON: {e}"))?;
    match text(&case, "kind")? {
        "optimizer" => run_optimizer(&case),
        "scheduler" => run_scheduler(&case),
        "clip" => run_clip(&case),
        other => Err(format!("unknown case kind `{other}`")),
    }
}

#[test]
fn every_reference_case_matches() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut dirs = vec![data.join("torch"), data.join("hand")];
    if let Some(extra) = std::env::var_os("DESCENT_CONFORMANCE_DIR") {
        dirs.push(PathBuf::from(extra));
    }
    let (mut passed, mut values, mut failures) = (0, 0, Vec::new());
    for dir in &dirs {
        for path in case_files(dir) {
            match run_case(&path) {
                Ok(n) => {
                    passed += 1;
                    values += n;
                }
                Err(e) => failures.push(format!("{}: {e}", path.display())),
            }
        }
    }
    println!(
        "{passed} conformance cases passed ({values} values checked), {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "conformance failures:\n{}",
        failures.join("\n")
    );
    assert!(
        passed >= 28,
        "only {passed} cases found: the shipped torch/ and hand/ cases are missing"
    );
}

#[test]
fn the_checker_rejects_a_perturbed_value_and_an_unknown_optimizer() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/torch/optim_Adam_04.json");
    let original: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(run_optimizer(&original).is_ok());

    let mut perturbed = original.clone();
    let value = &mut perturbed["expected_params"][7][3];
    *value = Value::from(value.as_f64().unwrap() * (1.0 + 5e-5) + 2e-6);
    let err = run_optimizer(&perturbed).unwrap_err();
    assert!(err.starts_with("step 7: params[3]"), "{err}");

    let mut unknown = original;
    unknown["optimizer"] = Value::from("Adafactor");
    let err = run_optimizer(&unknown).unwrap_err();
    assert!(err.contains("unknown optimizer `Adafactor`"), "{err}");
}
