//! vLLM's offline `run_batch` over a run's request files, on a GPU box over ssh or on this
//! machine: the files and a script go there, the script runs detached (it survives Retort and
//! the ssh session) and runs each request file in turn; a look reads its exit status and
//! brings each finished file's output home, whole, where `collect` reads it as a service's.
//! vLLM answers only the model it serves, so it serves the weights under the profile's model name.

use super::api::BatchStatus;
use super::requests::Part;
use super::run_dir::{BatchRun, RunDir, RunDirError, Submitted, VllmJob};
use crate::host::{Host, HostError, Part as Bytes, quote};

pub const RUN_BATCH: &str = "vllm.entrypoints.openai.run_batch";
pub const SCRIPT: &str = "run-vllm.sh";
pub const LOG: &str = "vllm.log";
/// The end of the log kept as a failed job's error.
const TAIL_BYTES: u64 = 4 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum VllmError {
    #[error(transparent)]
    Host(#[from] HostError),
    #[error(transparent)]
    RunDir(#[from] RunDirError),
    #[error("writing {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("run_batch still runs on {0} (process group {1}); wait for it (retort batch status --watch)")]
    Running(String, u32),
}

/// The id a vLLM part goes by (its output is `output-<id>.jsonl`).
pub fn part_id(file: &str) -> String {
    format!("vllm-{}", file.trim_end_matches(".jsonl"))
}

/// The script that runs every part in turn, stopping at the first that fails.
pub fn script(job: &VllmJob, served_name: &str, parts: &[Part]) -> String {
    let mut script = String::from("set -e\n");
    for part in parts {
        let mut words = vec![
            job.python.clone(),
            "-m".into(),
            RUN_BATCH.into(),
            "-i".into(),
            part.file.clone(),
            "-o".into(),
            format!("output-{}.jsonl", part_id(&part.file)),
            "--model".into(),
            job.weights.clone(),
            "--served-model-name".into(),
            served_name.to_string(),
        ];
        words.extend(job.args.iter().cloned());
        let line: Vec<String> = words.iter().map(|w| quote(w)).collect();
        script.push_str(&line.join(" "));
        script.push('\n');
    }
    script
}

/// Sends `parts` and the script to the job's host and starts it; the parts are recorded as
/// in progress, saved in run.json.
pub fn start(dir: &RunDir, run: &mut BatchRun, mut job: VllmJob, parts: &[Part], retry: u32) -> Result<(), VllmError> {
    let host = Host::new(job.host.as_deref());
    if let Some(old) = &run.vllm
        && let Some(pid) = old.pid.filter(|_| run.pending().next().is_some())
        && Host::new(old.host.as_deref()).alive(pid)?
    {
        return Err(VllmError::Running(host.name(), pid));
    }
    let path = dir.file(SCRIPT);
    crate::atomic::write(&path, script(&job, &run.model, parts)).map_err(|source| VllmError::Write {
        path: path.display().to_string(),
        source,
    })?;
    if let Host::Ssh { .. } = host {
        let names: Vec<&str> = std::iter::once(SCRIPT)
            .chain(parts.iter().map(|p| p.file.as_str()))
            .collect();
        host.send(&dir.path, &names, &job.workdir)?;
    }
    job.pid = Some(host.start_detached(&job.workdir, &format!("sh {SCRIPT}"), LOG)?);
    job.error = None;
    for part in parts {
        run.batches.push(Submitted {
            file: part.file.clone(),
            requests: part.requests,
            retry,
            input_file_id: format!("{}/{}", job.workdir, part.file),
            batch_id: Some(part_id(&part.file)),
            status: BatchStatus::InProgress,
            counts: Default::default(),
            output_file_id: None,
            error_file_id: None,
            created_at: Some(chrono::Utc::now().timestamp()),
            errors: Vec::new(),
        });
    }
    run.service = Some(format!("vllm run_batch on {}", host.name()));
    run.vllm = Some(job);
    dir.save(run)?;
    Ok(())
}

/// Looks at the job: once it ended, each part whose output is there is brought home and
/// completed; the others failed, with the end of the log as why.
pub fn refresh(dir: &RunDir, run: &mut BatchRun) -> Result<(), VllmError> {
    let Some(job) = run.vllm.clone() else { return Ok(()) };
    if run.pending().next().is_none() {
        return Ok(());
    }
    let host = Host::new(job.host.as_deref());
    let exit = host.read(&format!("{}/exit_status", job.workdir))?;
    let ended = match (&exit, job.pid) {
        (Some(_), _) => true,
        (None, Some(pid)) => !host.alive(pid)?,
        (None, None) => true,
    };
    if !ended {
        return Ok(());
    }
    for index in 0..run.batches.len() {
        if run.batches[index].status.is_final() {
            continue;
        }
        let id = run.batches[index].batch_id.clone().unwrap_or_default();
        let there = format!("{}/output-{id}.jsonl", job.workdir);
        match host.read_part(&there, Bytes::Whole)? {
            Some(bytes) => {
                let home = dir.output_of(&id);
                if home != std::path::Path::new(&there) {
                    crate::atomic::write(&home, &bytes).map_err(|source| VllmError::Write {
                        path: home.display().to_string(),
                        source,
                    })?;
                }
                let (total, answered) = count_answers(&bytes);
                let part = &mut run.batches[index];
                part.status = BatchStatus::Completed;
                part.counts = super::api::RequestCounts {
                    total,
                    completed: answered,
                    failed: total - answered,
                };
            }
            None => run.batches[index].status = BatchStatus::Failed,
        }
    }
    if exit.as_deref().map(str::trim) != Some("0") {
        let tail = host
            .read_part(&format!("{}/{LOG}", job.workdir), Bytes::Last(TAIL_BYTES))?
            .unwrap_or_default();
        let how = match exit.as_deref().map(str::trim) {
            Some(code) => format!("run_batch exited with status {code}"),
            None => "run_batch stopped without an exit status (killed, or the machine restarted)".into(),
        };
        let tail = crate::foreign::log_tail(&String::from_utf8_lossy(&tail), 15);
        if let Some(job) = run.vllm.as_mut() {
            job.error = Some(format!("{how}; the end of {}/{LOG}:\n{tail}", job.workdir));
        }
    }
    dir.save(run)?;
    Ok(())
}

/// Lines of an output file, and how many of them are answers (status 200).
fn count_answers(bytes: &[u8]) -> (u64, u64) {
    let text = String::from_utf8_lossy(bytes);
    let statuses: Vec<Option<u64>> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|row| row.pointer("/response/status_code").and_then(serde_json::Value::as_u64))
        })
        .collect();
    let answered = statuses.iter().filter(|s| **s == Some(200)).count();
    (statuses.len() as u64, answered as u64)
}
