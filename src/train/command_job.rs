//! A run on a trainer started as a detached process (`setsid`), on this machine or over ssh: it
//! survives Retort and the SSH session. Its directory holds the config, the export, `train.log`
//! (the trainer's output), `pid` (its process group) and `exit_status` (written when it ends);
//! `refresh` reads them, `cancel` stops the group. Every change is saved to `run.json`.

use super::run::{Job, LogCursor, Run, RunError, Status};
use super::trainer_logs;
use super::trainers::{OUTPUT_DIR, Trainer};
use crate::host::{Host, Part, quote};
use std::path::Path;

/// Lines of the log shown when a trainer fails, read from its last this many bytes.
const TAIL_LINES: usize = 15;
const TAIL_BYTES: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Host(#[from] crate::host::HostError),
    #[error("writing {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error(transparent)]
    Run(#[from] RunError),
    #[error("run {0} is not a command run")]
    NotCommand(String),
}

struct Place {
    host: Host,
    workdir: String,
    trainer: Trainer,
    logging_steps: u32,
    pid: Option<u32>,
    cursor: LogCursor,
}

fn place(run: &Run) -> Result<Place, CommandError> {
    match &run.job {
        Job::Command {
            trainer,
            logging_steps,
            host,
            workdir,
            pid,
            read,
            ..
        } => Ok(Place {
            host: Host::new(host.as_deref()),
            workdir: workdir.clone(),
            trainer: *trainer,
            logging_steps: *logging_steps,
            pid: *pid,
            cursor: *read,
        }),
        _ => Err(CommandError::NotCommand(run.id.clone())),
    }
}

/// Writes `files` (the config, and a script the trainer runs) beside the export, sends them
/// with it to the host (when not this machine), and starts `command` there, detached; the run
/// records its process group.
pub fn launch(data: &Path, run: &mut Run, files: &[(&str, String)], command: &[String]) -> Result<(), CommandError> {
    let dir = run.dir(data);
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| CommandError::Write {
            path: path.display().to_string(),
            source,
        })?;
    }
    let at = place(run)?;
    if let Host::Ssh { .. } = at.host {
        let names: Vec<&str> = std::iter::once("data").chain(files.iter().map(|(n, _)| *n)).collect();
        at.host.send(&dir, &names, &at.workdir).map_err(CommandError::Host)?;
    }
    let command: Vec<String> = command.iter().map(|a| quote(a)).collect();
    let pid = at
        .host
        .start_detached(&at.workdir, &command.join(" "), "train.log")
        .map_err(CommandError::Host)?;
    if let Job::Command { pid: recorded, .. } = &mut run.job {
        *recorded = Some(pid);
    }
    run.status = Status::Running;
    run.save(data)?;
    Ok(())
}

/// What a refresh brought: new lines of the trainer's log worth saying (none for now: the
/// progress line says it).
pub struct Refreshed {
    pub messages: Vec<String>,
}

/// Reads the trainer's files: the run's progress and status, new steps into `metrics.jsonl`;
/// a trainer that died leaves its exit status and the tail of its log as the error.
pub fn refresh(data: &Path, run: &mut Run) -> Result<Refreshed, CommandError> {
    if run.status.is_final() {
        return Ok(Refreshed { messages: Vec::new() });
    }
    let at = place(run)?;
    let file = |name: &str| {
        at.host
            .read(&format!("{}/{name}", at.workdir))
            .map_err(CommandError::Host)
    };
    let exit = file("exit_status")?;
    let alive = match (&exit, at.pid) {
        (None, Some(pid)) => at.host.alive(pid).map_err(CommandError::Host)?,
        _ => false,
    };
    let before = run.clone();
    let new = read_new_output(&at)?;
    let mut cursor = at.cursor;
    let metrics = trainer_logs::read_new(
        at.trainer,
        &mut cursor,
        trainer_logs::NewOutput {
            log: &new.log,
            trainer_log: &new.trainer_log,
        },
        at.logging_steps,
        &mut run.progress,
    );
    // The cursor is saved after the steps: a crash between the two reads them again, and this
    // keeps each once (an evaluation read apart from its step joins it).
    if !metrics.is_empty() {
        let recorded = run.metrics(data).last().map(|m| m.step);
        let fresh: Vec<_> = metrics
            .into_iter()
            .filter(|m| recorded.is_none_or(|r| m.step > r || (m.step == r && m.loss.is_none())))
            .collect();
        run.append_metrics(data, &fresh)?;
    }
    if let Job::Command { read, .. } = &mut run.job {
        *read = cursor;
    }
    let log_tail = || -> Result<String, CommandError> {
        let end = at
            .host
            .read_part(&format!("{}/train.log", at.workdir), Part::Last(TAIL_BYTES))
            .map_err(CommandError::Host)?
            .unwrap_or_default();
        Ok(trainer_logs::tail(&String::from_utf8_lossy(&end), TAIL_LINES))
    };
    match exit.as_deref().map(str::trim) {
        Some("0") => {
            let adapter = format!("{}/{OUTPUT_DIR}/adapter_model.safetensors", at.workdir);
            let written = at.host.sh(&format!("test -s {}", crate::host::quote(&adapter)));
            if written.map_err(CommandError::Host)?.status.success() {
                run.status = Status::Succeeded;
                run.fine_tuned_model = Some(output_path(&at));
            } else {
                run.status = Status::Failed;
                run.error = Some(format!(
                    "the trainer exited with status 0 but wrote no adapter ({adapter} is missing or empty); the end of {}/train.log:\n{}",
                    at.workdir,
                    log_tail()?
                ));
            }
        }
        Some(code) => {
            run.status = Status::Failed;
            run.error = Some(format!(
                "the trainer exited with status {code}; the end of {}/train.log:\n{}",
                at.workdir,
                log_tail()?
            ));
        }
        None if !alive => {
            run.status = Status::Failed;
            run.error = Some(format!(
                "the trainer stopped without an exit status (killed, or {} restarted); the end of {}/train.log:\n{}",
                at.host.name(),
                at.workdir,
                log_tail()?
            ));
        }
        None => run.status = Status::Running,
    }
    if *run != before {
        run.save(data)?;
    }
    Ok(Refreshed { messages: Vec::new() })
}

/// What the logs gained since the run's cursor.
struct NewBytes {
    log: Vec<u8>,
    trainer_log: Vec<u8>,
}

fn read_new_output(at: &Place) -> Result<NewBytes, CommandError> {
    let read = |name: &str, offset: u64| {
        at.host
            .read_part(&format!("{}/{name}", at.workdir), Part::From(offset))
            .map(Option::unwrap_or_default)
            .map_err(CommandError::Host)
    };
    let trainer_log = match at.trainer {
        Trainer::LlamaFactory => read(&format!("{OUTPUT_DIR}/trainer_log.jsonl"), at.cursor.trainer_log)?,
        Trainer::Trl | Trainer::Axolotl | Trainer::Retort => Vec::new(),
    };
    Ok(NewBytes {
        log: read("train.log", at.cursor.train_log)?,
        trainer_log,
    })
}

/// Where the adapter is: `host:path` for another machine.
fn output_path(at: &Place) -> String {
    let path = format!("{}/{OUTPUT_DIR}", at.workdir);
    match &at.host {
        Host::Local => path,
        Host::Ssh { host, .. } => format!("{host}:{path}"),
    }
}

/// Stops the trainer's process group (SIGTERM: trainers save nothing half-written on it).
pub fn cancel(data: &Path, run: &mut Run) -> Result<(), CommandError> {
    let at = place(run)?;
    if let Some(pid) = at.pid {
        // The group may be gone already; that is a cancel too.
        at.host
            .sh(&format!(
                // `-s TERM --`: the form every sh takes (dash, Debian's sh, refuses `kill -TERM
                // -- -PID` and the fallback then stopped only the shell, not the trainer).
                "kill -s TERM -- -{pid} 2>/dev/null || kill -s TERM {pid} 2>/dev/null; true"
            ))
            .map_err(CommandError::Host)?;
    }
    run.status = Status::Cancelled;
    run.save(data)?;
    Ok(())
}
