//! What `retort train watch` shows: a progress bar on a terminal (indicatif), a line per change
//! otherwise (logs, CI): the state, the step of the total, the losses, the time since the
//! watch began and the time left at the rate seen.

use crate::train::run::{Run, Status};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

pub struct Shown {
    bar: Option<ProgressBar>,
    began: Instant,
    /// The first step seen and when, for the rate.
    first: Option<(u64, Instant)>,
    last_line: String,
}

impl Shown {
    pub fn new(run: &Run) -> Shown {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix(run.id.clone());
            bar
        });
        Shown {
            bar,
            began: Instant::now(),
            first: None,
            last_line: String::new(),
        }
    }

    /// A message above the bar (or a line).
    pub fn say(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(message),
            None => crate::stdout::errln!("{message}"),
        }
    }

    pub fn update(&mut self, run: &Run, messages: &[String]) {
        for message in messages {
            self.say(message);
        }
        let step = run.progress.step;
        if let (None, Some(step)) = (self.first, step) {
            self.first = Some((step, Instant::now()));
        }
        let line = self.line(run);
        match &self.bar {
            Some(bar) => {
                bar.set_length(run.progress.total_steps.unwrap_or(0));
                bar.set_position(step.unwrap_or(0));
                bar.set_message(line);
            }
            None if line != self.last_line => {
                crate::stdout::errln!("{line}");
                self.last_line = line;
            }
            None => {}
        }
    }

    pub fn finish(&mut self, run: &Run) {
        self.update(run, &[]);
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }

    fn line(&self, run: &Run) -> String {
        let p = &run.progress;
        let mut parts = vec![run.status.to_string()];
        if let Some(step) = p.step {
            parts.push(match p.total_steps {
                Some(total) => format!("step {step}/{total}"),
                None => format!("step {step}"),
            });
        }
        if let Some(loss) = p.train_loss {
            parts.push(format!("loss {loss:.4}"));
        }
        if let Some(loss) = p.valid_loss {
            parts.push(format!("valid loss {loss:.4}"));
        }
        parts.push(format!("elapsed {}", clock(self.began.elapsed().as_secs())));
        if let Some(left) = self.time_left(run) {
            parts.push(format!("about {} left", clock(left)));
        }
        parts.join(" · ")
    }

    /// Seconds left at the rate seen since the first step this watch saw (none before two
    /// steps, none once the run is over).
    fn time_left(&self, run: &Run) -> Option<u64> {
        let (first, at) = self.first?;
        let (step, total) = (run.progress.step?, run.progress.total_steps?);
        if run.status != Status::Running || step <= first {
            return None;
        }
        let per_step = at.elapsed().as_secs_f64() / (step - first) as f64;
        Some((per_step * total.saturating_sub(step) as f64).round() as u64)
    }
}

fn clock(seconds: u64) -> String {
    format!("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60)
}
