//! A run in one line, for the workbench: where it stands, its last losses, and the profile it
//! was registered as.

use super::run::{self, Progress, Status};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub id: String,
    pub task: String,
    pub backend: &'static str,
    pub base: String,
    pub status: Status,
    pub progress: Progress,
    /// The training loss at each reported step, oldest first.
    pub losses: Vec<f64>,
    pub profile: Option<String>,
    /// The first line of why it failed.
    pub error: Option<String>,
}

/// Every run, newest first.
pub fn summaries(data: &Path) -> Vec<RunSummary> {
    run::list(data)
        .0
        .into_iter()
        .map(|run| RunSummary {
            losses: run.metrics(data).iter().filter_map(|m| m.loss).collect(),
            id: run.id,
            task: run.task,
            backend: run.job.backend(),
            base: run.base,
            status: run.status,
            progress: run.progress,
            profile: run.profile,
            error: run.error.map(|e| e.lines().next().unwrap_or_default().to_string()),
        })
        .collect()
}

/// `values` as a row of block characters, the last `width` of them, scaled between their
/// smallest and largest (empty for none).
pub fn sparkline(values: &[f64], width: usize) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let shown = &values[values.len().saturating_sub(width)..];
    let (low, high) = shown
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
    shown
        .iter()
        .map(|v| {
            let share = if high > low { (v - low) / (high - low) } else { 0.5 };
            BLOCKS[((share * 7.0).round() as usize).min(7)]
        })
        .collect()
}

impl RunSummary {
    /// The line the workbench lists: what matters first, as the picker cuts long lines.
    pub fn line(&self) -> String {
        let step = match (self.progress.step, self.progress.total_steps) {
            (Some(s), Some(t)) => format!("step {s}/{t}"),
            (Some(s), None) => format!("step {s}"),
            _ => String::new(),
        };
        let loss = self
            .progress
            .train_loss
            .map_or(String::new(), |l| format!("loss {l:.3}"));
        let end = match (&self.profile, &self.error) {
            (Some(profile), _) => format!("→ {profile}"),
            (None, Some(error)) => error.clone(),
            (None, None) if self.status == Status::Succeeded => "not registered (retort train register)".into(),
            _ => String::new(),
        };
        [
            self.status.to_string(),
            end,
            self.task.clone(),
            step,
            loss,
            sparkline(&self.losses, 16),
            format!("{} {}", self.backend, self.base),
        ]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sparkline_falls_with_the_loss_and_keeps_the_newest() {
        assert_eq!(sparkline(&[2.0, 1.5, 1.0, 0.5], 16), "█▆▃▁");
        assert_eq!(sparkline(&[9.0, 2.0, 1.0], 2), "█▁");
        assert_eq!(sparkline(&[1.0, 1.0], 8), "▅▅");
        assert_eq!(sparkline(&[], 8), "");
    }
}
