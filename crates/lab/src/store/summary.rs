//! `summary.csv`: one row per finished trial in expansion order, one column per swept key.

use super::result::TrialResult;
use crate::expand::Trial;

/// The summary of `trials` (each paired with its result, `None` when unfinished; unfinished
/// trials get no row). Rows follow the expansion order, so the file is the same whichever
/// order, thread count or shard the trials ran in; only `wall_s` varies between runs.
pub fn summary_csv(trials: &[(&Trial, Option<&TrialResult>)]) -> String {
    let swept: Vec<&str> = trials
        .first()
        .map(|(t, _)| t.swept.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["index", "id"];
    header.extend(&swept);
    header.extend([
        "repeat",
        "seed",
        "status",
        "final_train_loss",
        "best_train_loss",
        "final_test_loss",
        "best_test_accuracy",
        "steps_to_target",
        "steps",
        "diverged_at_step",
        "wall_s",
    ]);
    w.write_record(&header).expect("writing to memory");
    let opt = |x: Option<f32>| x.map_or(String::new(), |x| x.to_string());
    let opt_n = |x: Option<usize>| x.map_or(String::new(), |x| x.to_string());
    for (trial, result) in trials {
        let Some(r) = result else { continue };
        let mut row = vec![trial.index.to_string(), trial.id.clone()];
        row.extend(trial.swept.iter().map(|(_, v)| v.to_string()));
        row.extend([
            trial.config.repeat.to_string(),
            trial.config.seed.to_string(),
            r.status.as_str().to_string(),
            opt(r.final_train_loss),
            opt(r.best_train_loss),
            opt(r.final_test_loss),
            opt(r.best_test_accuracy),
            opt_n(r.steps_to_target),
            r.steps.to_string(),
            opt_n(r.diverged_at_step),
            format!("{:.4}", r.wall_s),
        ]);
        w.write_record(&row).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("flushing to memory")).expect("CSV of UTF-8 fields")
}
