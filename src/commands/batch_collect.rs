//! `retort batch collect` and `retort batch retry`: a batch run's answers brought down and
//! written as `retort extract` lines; the requests a finished batch failed sent again, as a new
//! batch or online.

use super::batch::{ask, look_again, open_run, remote_failure, send_parts, service_of, share_of_tokens, vllm_failure};
use super::{Failure, config_error, exit, preflight, runtime};
use crate::batch::collect::{self, Collected};
use crate::batch::remote;
use crate::batch::requests::{Limits, copy_requests};
use crate::batch::run_dir::{BatchRun, ONLINE, PARAGRAPHS, PREDICTIONS, RunDir};
use crate::cli::{BatchCollectArgs, BatchRetryArgs};
use crate::config::Paths;
use crate::dataset::store::Store;
use crate::llm::ModelProfile;
use crate::task::Task;
use anyhow::Result;
use std::collections::HashSet;

pub fn collect(paths: &Paths, args: BatchCollectArgs) -> Result<()> {
    let (dir, mut run, _held) = open_run(&args.run)?;
    let output = args.output.clone().unwrap_or_else(|| dir.file(PREDICTIONS));
    let inputs = run_files(&dir, &run);
    crate::atomic::refuse_same_file(&output, inputs.iter().map(|p| p.as_path())).map_err(config_error)?;
    bring_down(paths, &dir, &mut run)?;
    let (task, profile) = model_of(paths, &run)?;
    let pool = crate::llm::prompt::few_shot_pool(&Store::new(paths.examples_dir()), &task.name);
    let answers = collect::answers(&dir, &run).map_err(config_error)?;
    for bad in &answers.bad_lines {
        crate::stdout::errln!("not an answer, passed over: {bad}");
    }
    let model = collect::Model {
        task: &task,
        profile: &profile,
        pool: &pool,
    };
    let collected = collect::write(&dir, &run, &answers, &model, &output).map_err(config_error)?;
    report(&collected, &args.run, &output);
    if collected.summary.failed > 0 {
        return Err(Failure {
            code: exit::SOME_FAILED,
            message: format!(
                "{} of {} paragraphs failed (their lines record the error); send them again with: retort batch retry {} (or --online)",
                collected.summary.failed,
                collected.summary.read,
                args.run.display()
            ),
        }
        .into());
    }
    Ok(())
}

/// Every file of the run an output must not be.
fn run_files(dir: &RunDir, run: &BatchRun) -> Vec<std::path::PathBuf> {
    let mut files = vec![dir.manifest(), dir.file(PARAGRAPHS), dir.file(ONLINE)];
    files.extend(run.parts.iter().map(|p| dir.file(&p.file)));
    for b in &run.batches {
        files.push(dir.file(&b.file));
        if let Some(id) = &b.batch_id {
            files.extend([dir.output_of(id), dir.errors_of(id)]);
        }
    }
    files
}

/// Reads the batches' states again and downloads what finished, unless everything is here.
fn bring_down(paths: &Paths, dir: &RunDir, run: &mut BatchRun) -> Result<()> {
    if run.batches.is_empty() {
        return Err(config_error(format!(
            "nothing of {} is submitted yet: retort batch submit {}",
            dir.path.display(),
            dir.path.display()
        )));
    }
    if run.vllm.is_some() {
        return look_again(paths, dir, run);
    }
    if remote::all_downloaded(dir, run) {
        return Ok(());
    }
    look_again(paths, dir, run)?;
    let batches = service_of(paths, run)?;
    let came = runtime()?
        .block_on(remote::download(&batches, dir, run))
        .map_err(remote_failure)?;
    if came > 0 {
        crate::stdout::errln!("downloaded {came} file(s) into {}", dir.path.display());
    }
    Ok(())
}

/// The run's task and profile, as configured now.
fn model_of(paths: &Paths, run: &BatchRun) -> Result<(Task, ModelProfile)> {
    let crate::setup::Setup { registry, profiles, .. } = super::setup(paths);
    let task = registry.require(&run.task).map_err(config_error)?.clone();
    let profile = profiles.require(&run.profile).map_err(config_error)?.clone();
    Ok((task, profile))
}

fn report(collected: &Collected, run: &std::path::Path, output: &std::path::Path) {
    let summary = &collected.summary;
    crate::stdout::errln!(
        "{} of {} paragraphs written to {} ({} failed, {} incomplete){}{}",
        summary.written,
        summary.read,
        output.display(),
        summary.failed,
        summary.incomplete,
        if collected.pending > 0 {
            format!(
                "; {} still running: collect again once `retort batch status {}` says done",
                collected.pending,
                run.display()
            )
        } else {
            String::new()
        },
        if collected.unsubmitted > 0 {
            format!(
                "; {} never submitted: retort batch submit {}",
                collected.unsubmitted,
                run.display()
            )
        } else {
            String::new()
        }
    );
    for (error, count) in &summary.errors {
        crate::stdout::errln!("  {count} × {error}");
    }
    let shown: Vec<&str> = collected.to_retry.iter().take(10).map(String::as_str).collect();
    if !shown.is_empty() {
        let more = collected.to_retry.len() - shown.len();
        crate::stdout::errln!(
            "  failed: {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
}

pub fn retry(paths: &Paths, args: BatchRetryArgs) -> Result<()> {
    let (dir, mut run, _held) = open_run(&args.run)?;
    bring_down(paths, &dir, &mut run)?;
    let answers = collect::answers(&dir, &run).map_err(config_error)?;
    let failed = collect::failed_ids(&dir, &run, &answers).map_err(config_error)?;
    if failed.is_empty() {
        crate::stdout::errln!(
            "no request of {} failed or expired in a finished batch; nothing to send",
            args.run.display()
        );
        return Ok(());
    }
    let ids: HashSet<String> = failed.iter().cloned().collect();
    if args.online {
        return retry_online(paths, &dir, &run, &ids, args.concurrency);
    }
    let number = run.next_retry();
    let files: Vec<String> = run.parts.iter().map(|p| p.file.clone()).collect();
    let parts =
        copy_requests(&dir.path, &files, &ids, &format!("retry-{number}"), Limits::OPENAI).map_err(config_error)?;
    if let Some(job) = run.vllm.clone() {
        crate::batch::vllm::start(&dir, &mut run, job, &parts, number).map_err(vllm_failure)?;
        crate::stdout::errln!(
            "{} failed request(s) sent to run_batch again; follow with: retort batch status {} --watch, then collect",
            ids.len(),
            args.run.display()
        );
        return Ok(());
    }
    let batches = service_of(paths, &run)?;
    let question = format!(
        "{} failed request(s) for {}, {}, go to {} again as {} batch(es)",
        ids.len(),
        run.model,
        share_of_tokens(&run.input_tokens, ids.len(), run.requests),
        batches.base_url(),
        parts.len()
    );
    ask(&question, args.yes, "Upload them and create the batches?")?;
    send_parts(&batches, &dir, &mut run, &parts, number)?;
    crate::stdout::errln!(
        "sent again; follow with: retort batch status {} --watch, then collect",
        args.run.display()
    );
    Ok(())
}

/// The failed paragraphs through the profile online, appended to the run's online.jsonl.
fn retry_online(paths: &Paths, dir: &RunDir, run: &BatchRun, ids: &HashSet<String>, concurrency: usize) -> Result<()> {
    let (task, profile) = model_of(paths, run)?;
    let (asked, _) = crate::input::read_paragraphs(&dir.file(PARAGRAPHS), &task).map_err(config_error)?;
    let todo: Vec<crate::batch::Paragraph> = asked.into_iter().filter(|p| ids.contains(&p.id)).collect();
    let pool = crate::llm::prompt::few_shot_pool(&Store::new(paths.examples_dir()), &task.name);
    let target = crate::batch::Target::File(dir.file(ONLINE));
    let paragraphs = crate::batch::Paragraphs {
        total: Some(todo.len()),
        items: Box::new(todo.into_iter().map(Ok)),
        passed_over: Default::default(),
    };
    let summary = runtime()?.block_on(async {
        let engines = crate::llm::Engines::new();
        preflight(&engines.http, &profile).await?;
        let job = crate::batch::BatchJob {
            task: &task,
            profile: &profile,
            pool: &pool,
            output: &target,
            options: crate::batch::BatchOptions {
                concurrency,
                resume: true,
                progress: true,
            },
        };
        let cancel = tokio_util::sync::CancellationToken::new();
        let quiet = |_: &crate::dataset::table::InputError| {};
        Ok::<_, anyhow::Error>(crate::batch::extract(&engines, &job, paragraphs, cancel, &quiet).await?)
    })?;
    crate::stdout::errln!(
        "{} sent online, {} failed, into {}; collect to merge them: retort batch collect {}",
        summary.written,
        summary.failed,
        target.describe(),
        dir.path.display()
    );
    Ok(())
}
