//! Sweep progress: an indicatif bar (trials done/total, ETA, diverged count) on a terminal,
//! plain lines otherwise (logs, CI, Slurm output files).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use descent_lab::expand::Trial;
use descent_lab::runner::Progress;
use descent_lab::store::{Status, TrialResult};
use indicatif::{ProgressBar, ProgressStyle};

/// Prints progress of a sweep.
pub struct SweepProgress {
    bar: Option<ProgressBar>,
    total: AtomicUsize,
    done: AtomicUsize,
    diverged: AtomicUsize,
    failed: AtomicUsize,
    started: Instant,
    last_line: Mutex<Option<Instant>>,
}

/// Plain lines are printed at most this often (plus the last one).
const LINE_INTERVAL: Duration = Duration::from_secs(2);

impl SweepProgress {
    /// A bar when stdout is a terminal, else plain lines.
    pub fn new() -> Self {
        let bar = std::io::stdout().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} trials  ETA {eta}  {msg}",
                )
                .expect("a valid progress template"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Self {
            bar,
            total: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            diverged: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            started: Instant::now(),
            last_line: Mutex::new(None),
        }
    }

    fn message(&self) -> String {
        let failed = self.failed.load(Ordering::Relaxed);
        let mut m = format!("diverged: {}", self.diverged.load(Ordering::Relaxed));
        if failed > 0 {
            m.push_str(&format!("  failed: {failed}"));
        }
        m
    }

    /// Ends the bar (it stays on screen).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_with_message(self.message());
        }
    }
}

impl Progress for SweepProgress {
    fn begin(&self, to_run: usize, already_finished: usize) {
        self.total.store(to_run, Ordering::Relaxed);
        if already_finished > 0 {
            println!(
                "resuming: {already_finished} trial(s) already finished are kept, {to_run} to run"
            );
        }
        match &self.bar {
            Some(bar) => {
                bar.set_length(to_run as u64);
                bar.set_message(self.message());
            }
            None => println!("running {to_run} trial(s)"),
        }
    }

    fn trial_done(&self, trial: &Trial, result: &TrialResult) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        match result.status {
            Status::Diverged => self.diverged.fetch_add(1, Ordering::Relaxed),
            Status::Failed => self.failed.fetch_add(1, Ordering::Relaxed),
            Status::Ok => 0,
        };
        if let Some(bar) = &self.bar {
            bar.set_message(self.message());
            bar.inc(1);
            if result.status == Status::Failed {
                bar.println(format!(
                    "trial {} ({}) failed: {}",
                    trial.id,
                    trial.group_label(),
                    result.reason.as_deref().unwrap_or("")
                ));
            }
            return;
        }
        let total = self.total.load(Ordering::Relaxed);
        let mut last = self.last_line.lock().expect("progress lock");
        let due = last.is_none_or(|t| t.elapsed() >= LINE_INTERVAL);
        if !(due || done == total || result.status == Status::Failed) {
            return;
        }
        *last = Some(Instant::now());
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = elapsed / done as f64 * (total - done) as f64;
        let loss = result
            .final_train_loss
            .map_or_else(|| "-".into(), |l| format!("{l:.4e}"));
        println!(
            "[{done}/{total}] {} {} {} loss {loss}  elapsed {elapsed:.1}s  ETA {eta:.1}s  {}",
            trial.id,
            trial.group_label(),
            result.status.as_str(),
            self.message()
        );
    }
}
