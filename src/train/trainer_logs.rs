//! Progress read from what the trainers write: LLaMA-Factory's `output/trainer_log.jsonl` (a
//! line per logged step: `current_steps`, `total_steps`, `loss`, `eval_loss`, `lr`, `epoch`),
//! and for TRL and axolotl (Hugging Face's `Trainer`) the log itself: each logged step printed
//! as a Python dict (`{'loss': 1.23, 'learning_rate': 0.0001, 'epoch': 0.5}`), one every
//! `logging_steps` steps, evaluations as `{'eval_loss': …}`, and the progress bar's `12/100`.

use super::run::{LogCursor, Metric, Progress, add_metric};
use super::trainers::Trainer;
use regex::Regex;
use std::sync::LazyLock;

/// The bytes the logs gained since the cursor: `train.log` and LLaMA-Factory's
/// `trainer_log.jsonl`, each from the cursor's offset on.
pub struct NewOutput<'a> {
    pub log: &'a [u8],
    pub trainer_log: &'a [u8],
}

/// Reads what the logs gained: the steps they report, oldest first, with `progress` brought up
/// to date and the cursor moved past every whole line (a line still being written is read again
/// next time, whole).
pub fn read_new(
    trainer: Trainer,
    cursor: &mut LogCursor,
    new: NewOutput,
    logging_steps: u32,
    progress: &mut Progress,
) -> Vec<Metric> {
    let (log, log_used) = whole_lines(new.log);
    let (trainer_log, trainer_log_used) = whole_lines(new.trainer_log);
    let (metrics, total) = match trainer {
        Trainer::LlamaFactory => llama_factory(&trainer_log),
        Trainer::Trl | Trainer::Axolotl | Trainer::Retort => {
            (hugging_face(&log, logging_steps.max(1), &mut cursor.reports), None)
        }
    };
    cursor.train_log += log_used;
    cursor.trainer_log += trainer_log_used;
    // The bar is redrawn without a newline: read it from everything new, whole or not.
    let bar = progress_bar(new.log);
    progress.step = progress.step.max(metrics.last().map(|m| m.step)).max(bar.map(|b| b.0));
    progress.total_steps = total.or(bar.map(|b| b.1)).or(progress.total_steps);
    progress.train_loss = metrics.iter().rev().find_map(|m| m.loss).or(progress.train_loss);
    progress.valid_loss = metrics.iter().rev().find_map(|m| m.eval_loss).or(progress.valid_loss);
    metrics
}

/// The text of `bytes` up to and with its last newline, and how many bytes that is.
fn whole_lines(bytes: &[u8]) -> (String, u64) {
    let used = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
    (String::from_utf8_lossy(&bytes[..used]).into_owned(), used as u64)
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
        add_metric(&mut metrics, metric);
    }
    (metrics, total)
}

static DICT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{'(?:loss|eval_loss)'[^{}]*\}").expect("a valid pattern"));
static ENTRY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"'(\w+)': '?([-+0-9.eE]+|nan|inf)'?").expect("a valid pattern"));
/// The training bar (`  33%|███▎      | 4/12 [`), not the datasets' `Map: 100%|…| 90/90 [`.
static BAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)(?:^|\r)[ \t]*\d+%\|[^|\r\n]*\|\s*(\d+)/(\d+) \[").expect("a valid pattern"));

/// The reports in `log`, numbered on from the `logged` reports before it.
fn hugging_face(log: &str, logging_steps: u32, logged: &mut u64) -> Vec<Metric> {
    let mut metrics: Vec<Metric> = Vec::new();
    for dict in DICT.find_iter(log) {
        let values: Vec<(String, f64)> = ENTRY
            .captures_iter(dict.as_str())
            .filter_map(|c| Some((c[1].to_string(), c[2].parse::<f64>().ok()?)))
            .collect();
        let get = |key: &str| values.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
        if let Some(loss) = get("loss") {
            *logged += 1;
            metrics.push(Metric {
                step: *logged * logging_steps as u64,
                epoch: get("epoch"),
                loss: Some(loss),
                eval_loss: None,
                learning_rate: get("learning_rate"),
            });
        } else if let Some(eval) = get("eval_loss") {
            add_metric(
                &mut metrics,
                Metric {
                    step: *logged * logging_steps as u64,
                    epoch: get("epoch"),
                    loss: None,
                    eval_loss: Some(eval),
                    learning_rate: None,
                },
            );
        }
    }
    metrics
}

/// The last `step/total` the training bar drew (tqdm redraws with carriage returns).
fn progress_bar(log: &[u8]) -> Option<(u64, u64)> {
    let tail = String::from_utf8_lossy(&log[log.len().saturating_sub(4096)..]);
    BAR.captures_iter(&tail)
        .last()
        .and_then(|c| Some((c[1].parse().ok()?, c[2].parse().ok()?)))
}

/// The last `lines` lines of a log (see [`crate::foreign::log_tail`]).
pub fn tail(log: &str, lines: usize) -> String {
    crate::foreign::log_tail(log, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything read in one look.
    fn read(trainer: Trainer, log: &str, trainer_log: &str, logging_steps: u32) -> (Vec<Metric>, Progress) {
        let mut progress = Progress::default();
        let new = NewOutput {
            log: log.as_bytes(),
            trainer_log: trainer_log.as_bytes(),
        };
        let metrics = read_new(trainer, &mut LogCursor::default(), new, logging_steps, &mut progress);
        (metrics, progress)
    }

    /// Read in looks that end at each of `cuts` (byte offsets of the growing file).
    fn read_in_looks(trainer: Trainer, text: &str, cuts: &[usize]) -> (Vec<Metric>, Progress, LogCursor) {
        let (mut cursor, mut progress, mut metrics) = (LogCursor::default(), Progress::default(), Vec::new());
        for &cut in cuts.iter().chain([&text.len()]) {
            let offset = |at: u64| &text.as_bytes()[at as usize..cut];
            let new = match trainer {
                Trainer::LlamaFactory => NewOutput {
                    log: b"",
                    trainer_log: offset(cursor.trainer_log),
                },
                _ => NewOutput {
                    log: offset(cursor.train_log),
                    trainer_log: b"",
                },
            };
            for metric in read_new(trainer, &mut cursor, new, 2, &mut progress) {
                add_metric(&mut metrics, metric);
            }
        }
        (metrics, progress, cursor)
    }

    #[test]
    fn a_log_read_in_looks_gives_what_it_gives_read_whole() {
        let log = "Map: 100%|██████████| 90/90 [00:00<00:00]\n  8%|▊         | 1/12 [00:01<00:11,  1.00s/it]\r{'loss': 2.1234, 'learning_rate': 0.0002, 'epoch': 0.33}\n 17%|█▋        | 2/12 [00:02<00:10,  1.00s/it]\r{'loss': 1.5, 'learning_rate': 0.0001, 'epoch': 0.67}\n{'eval_loss': 1.75, 'epoch': 0.67}\n 33%|███▎      | 4/12 [00:04<00:08,  1.00s/it]\r{'loss': 1.25, 'epoch': 1.0}\n 50%|█████     | 6/12 [";
        let (whole, whole_progress) = read(Trainer::Trl, log, "", 2);
        assert_eq!(whole.len(), 3);
        // Cut inside a report, inside a multi-byte bar character, between a step and its evaluation.
        let inside_dict = log.find("'learning_rate': 0.0001").unwrap();
        let inside_bar = log.find('▊').unwrap() + 1;
        let before_eval = log.find("{'eval_loss'").unwrap();
        let (looks, progress, cursor) = read_in_looks(Trainer::Trl, log, &[inside_bar, inside_dict, before_eval]);
        assert_eq!(looks, whole);
        assert_eq!(progress, whole_progress);
        assert_eq!((progress.step, progress.total_steps), (Some(6), Some(12)));
        assert_eq!(cursor.reports, 3);
        // The cursor stops after the last whole line: the bar being drawn is read again.
        assert_eq!(cursor.train_log as usize, log.rfind('\n').unwrap() + 1);

        let jsonl = "{\"current_steps\": 5, \"total_steps\": 20, \"loss\": 1.9}\n{\"current_steps\": 10, \"total_steps\": 20, \"loss\": 1.2}\n{\"current_steps\": 10, \"total_steps\": 20, \"eval_loss\": 1.4}\n";
        let (whole, _) = read(Trainer::LlamaFactory, "", jsonl, 5);
        let (looks, progress, _) = read_in_looks(
            Trainer::LlamaFactory,
            jsonl,
            &[
                20,
                jsonl
                    .find("{\"current_steps\": 10, \"total_steps\": 20, \"eval")
                    .unwrap(),
            ],
        );
        assert_eq!(looks, whole);
        assert_eq!((progress.step, progress.valid_loss), (Some(10), Some(1.4)));
    }

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
