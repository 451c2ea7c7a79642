//! Progress read from what the trainers write: LLaMA-Factory's `output/trainer_log.jsonl` (a
//! line per logged step: `current_steps`, `total_steps`, `loss`, `eval_loss`, `lr`, `epoch`),
//! and for TRL and axolotl (Hugging Face's `Trainer`) the log itself: each logged step printed
//! as a Python dict (`{'loss': 1.23, 'learning_rate': 0.0001, 'epoch': 0.5}`), one every
//! `logging_steps` steps, evaluations as `{'eval_loss': …}`, and the progress bar's `12/100`.

use super::run::{Metric, Progress};
use super::trainers::Trainer;
use regex::Regex;
use std::sync::LazyLock;

/// What the files say so far: every step reported, oldest first, and where the run stands.
pub fn read(trainer: Trainer, log: &str, trainer_log: &str, logging_steps: u32) -> (Vec<Metric>, Progress) {
    let (metrics, total) = match trainer {
        Trainer::LlamaFactory => llama_factory(trainer_log),
        Trainer::Trl | Trainer::Axolotl => hugging_face(log, logging_steps.max(1)),
    };
    let bar = progress_bar(log);
    let progress = Progress {
        step: metrics.last().map(|m| m.step).max(bar.map(|b| b.0)),
        total_steps: total.or(bar.map(|b| b.1)),
        train_loss: metrics.iter().rev().find_map(|m| m.loss),
        valid_loss: metrics.iter().rev().find_map(|m| m.eval_loss),
    };
    (metrics, progress)
}

fn llama_factory(text: &str) -> (Vec<Metric>, Option<u64>) {
    let mut metrics: Vec<Metric> = Vec::new();
    let mut total = None;
    for line in text.lines() {
        let Ok(row) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(step) = row.get("current_steps").and_then(|s| s.as_u64()) else {
            continue;
        };
        total = row.get("total_steps").and_then(|t| t.as_u64()).or(total);
        let number = |key: &str| row.get(key).and_then(|v| v.as_f64());
        let metric = Metric {
            step,
            epoch: number("epoch"),
            loss: number("loss"),
            eval_loss: number("eval_loss"),
            learning_rate: number("lr"),
        };
        merge(&mut metrics, metric);
    }
    (metrics, total)
}

/// An evaluation at the step of a training line joins it.
fn merge(metrics: &mut Vec<Metric>, metric: Metric) {
    match metrics.last_mut() {
        Some(last) if last.step == metric.step => {
            last.loss = last.loss.or(metric.loss);
            last.eval_loss = last.eval_loss.or(metric.eval_loss);
            last.epoch = last.epoch.or(metric.epoch);
            last.learning_rate = last.learning_rate.or(metric.learning_rate);
        }
        _ => metrics.push(metric),
    }
}

static DICT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{'(?:loss|eval_loss)'[^{}]*\}").expect("a valid pattern"));
static ENTRY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"'(\w+)': '?([-+0-9.eE]+|nan|inf)'?").expect("a valid pattern"));
/// The training bar (`  33%|███▎      | 4/12 [`), not the datasets' `Map: 100%|…| 90/90 [`.
static BAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)(?:^|\r)[ \t]*\d+%\|[^|\r\n]*\|\s*(\d+)/(\d+) \[").expect("a valid pattern"));

fn hugging_face(log: &str, logging_steps: u32) -> (Vec<Metric>, Option<u64>) {
    let mut metrics: Vec<Metric> = Vec::new();
    let mut logged = 0u64;
    for dict in DICT.find_iter(log) {
        let values: Vec<(String, f64)> = ENTRY
            .captures_iter(dict.as_str())
            .filter_map(|c| Some((c[1].to_string(), c[2].parse::<f64>().ok()?)))
            .collect();
        let get = |key: &str| values.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        if let Some(loss) = get("loss") {
            logged += 1;
            metrics.push(Metric {
                step: logged * logging_steps as u64,
                epoch: get("epoch"),
                loss: Some(loss),
                eval_loss: None,
                learning_rate: get("learning_rate"),
            });
        } else if let Some(eval) = get("eval_loss") {
            merge(
                &mut metrics,
                Metric {
                    step: logged * logging_steps as u64,
                    epoch: get("epoch"),
                    loss: None,
                    eval_loss: Some(eval),
                    learning_rate: None,
                },
            );
        }
    }
    (metrics, None)
}

/// The last `step/total` the training bar drew (tqdm redraws with carriage returns).
fn progress_bar(log: &str) -> Option<(u64, u64)> {
    let tail = &log[log.len().saturating_sub(4096)..];
    let start = (0..=tail.len()).find(|&i| tail.is_char_boundary(i)).unwrap_or(0);
    BAR.captures_iter(&tail[start..])
        .last()
        .and_then(|c| Some((c[1].parse().ok()?, c[2].parse().ok()?)))
}

/// The last `lines` lines of a log, progress-bar redraws reduced to their last state.
pub fn tail(log: &str, lines: usize) -> String {
    let cleaned: Vec<&str> = log
        .lines()
        .map(|l| l.rsplit('\r').find(|s| !s.trim().is_empty()).unwrap_or(""))
        .filter(|l| !l.trim().is_empty())
        .collect();
    cleaned[cleaned.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hugging_face_logs_give_steps_losses_and_the_total() {
        let log = "Map: 100%|██████████| 90/90 [00:00<00:00, 900.00 examples/s]\n  0%|          | 0/12 [00:00<?, ?it/s]\r  8%|▊         | 1/12 [00:01<00:11,  1.00s/it]\r{'loss': 2.1234, 'grad_norm': 1.5, 'learning_rate': 0.0002, 'epoch': 0.33}\n 17%|█▋        | 2/12 [00:02<00:10,  1.00s/it]\r{'loss': 1.5, 'grad_norm': 1.1, 'learning_rate': '1e-04', 'epoch': 0.67}\n{'eval_loss': 1.75, 'eval_runtime': 1.0, 'epoch': 0.67}\n 33%|███▎      | 4/12 [00:04<00:08,  1.00s/it]\r";
        let (metrics, progress) = read(Trainer::Trl, log, "", 2);
        assert_eq!(metrics.len(), 2);
        assert_eq!((metrics[0].step, metrics[0].loss), (2, Some(2.1234)));
        assert_eq!((metrics[1].step, metrics[1].eval_loss), (4, Some(1.75)));
        assert_eq!(metrics[1].learning_rate, Some(1e-4));
        assert_eq!((progress.step, progress.total_steps), (Some(4), Some(12)));
        assert_eq!((progress.train_loss, progress.valid_loss), (Some(1.5), Some(1.75)));
        // Before training, the datasets' bars are not its steps.
        let (_, before) = read(
            Trainer::Trl,
            "Map: 100%|██████████| 90/90 [00:00<00:00, 900.00 examples/s]\n",
            "",
            2,
        );
        assert_eq!((before.step, before.total_steps), (None, None));
    }

    #[test]
    fn llama_factory_lines_and_a_cut_last_line() {
        let text = "{\"current_steps\": 5, \"total_steps\": 20, \"loss\": 1.9, \"lr\": 0.0001, \"epoch\": 0.25, \"percentage\": 25.0}\n{\"current_steps\": 10, \"total_steps\": 20, \"loss\": 1.2, \"lr\": 0.0001, \"epoch\": 0.5}\n{\"current_steps\": 10, \"total_steps\": 20, \"eval_loss\": 1.4, \"epoch\": 0.5}\n{\"current_ste";
        let (metrics, progress) = read(Trainer::LlamaFactory, "", text, 5);
        assert_eq!(metrics.len(), 2);
        assert_eq!((metrics[1].loss, metrics[1].eval_loss), (Some(1.2), Some(1.4)));
        assert_eq!((progress.step, progress.total_steps), (Some(10), Some(20)));
    }

    #[test]
    fn the_tail_keeps_the_last_lines_and_the_last_bar() {
        let log = "a\nb\n 10%| 1/10\r 20%| 2/10\nTraceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory.\n";
        assert_eq!(
            tail(log, 3),
            " 20%| 2/10\nTraceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory."
        );
    }
}
