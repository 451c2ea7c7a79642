//! `retort batch`: a corpus through a batch service. `prepare` writes the request files,
//! `submit` uploads them and creates the batches (after asking), `status` follows them;
//! `collect` and `retry` are in `batch_collect.rs`.

use super::{Failure, busy, config_error, corpus_model, corpus_paragraphs, exit, runtime};
use crate::batch::api::Batches;
use crate::batch::remote::{self, RemoteError};
use crate::batch::requests::{self, Limits, Part};
use crate::batch::run_dir::{BatchRun, InputTokens, RunDir, Submitted};
use crate::cli::{BatchAction, BatchPrepareArgs, BatchStatusArgs, BatchSubmitArgs, BatchVllmArgs};
use crate::config::Paths;
use crate::dataset::store::Store;
use crate::stdout::outln;
use anyhow::Result;
use std::io::{BufRead, IsTerminal, Write};

pub fn batch(paths: &Paths, action: BatchAction) -> Result<()> {
    match action {
        BatchAction::Prepare(args) => prepare(paths, *args),
        BatchAction::Submit(args) => submit(paths, args),
        BatchAction::Status(args) => status(paths, args),
        BatchAction::Collect(args) => super::batch_collect::collect(paths, args),
        BatchAction::Retry(args) => super::batch_collect::retry(paths, args),
        BatchAction::Vllm(args) => vllm(args),
    }
}

fn prepare(paths: &Paths, args: BatchPrepareArgs) -> Result<()> {
    let corpus = &args.corpus;
    let (task, profile) = corpus_model(paths, corpus)?;
    let task = &task;
    let dir = RunDir::new(&args.out);
    for output in [
        dir.manifest(),
        dir.file("requests-001.jsonl"),
        dir.file(crate::batch::run_dir::PARAGRAPHS),
    ] {
        crate::atomic::refuse_same_file(&output, [corpus.input.as_path()]).map_err(config_error)?;
    }
    let source = crate::batch::Source::from_arg(&corpus.input);
    let paragraphs = corpus_paragraphs(corpus, task, &source)?;
    let pool = crate::llm::prompt::few_shot_pool(&Store::new(paths.examples_dir()), &task.name);
    let limits = Limits {
        requests: args.max_requests.max(1),
        bytes: args.max_bytes,
    };
    let mut bad_lines = 0;
    let items = paragraphs.items.filter_map(|item| {
        item.map_err(|e| {
            bad_lines += 1;
            crate::stdout::errln!("skipped: {e}");
        })
        .ok()
    });
    let tokenizer = crate::train::tokens::of_openai_model(&profile.model);
    let count = |text: &str| tokenizer.as_ref().map_or(0, |(_, bpe)| bpe.encode_ordinary(text).len());
    let counter: Option<requests::TokenCounter<'_>> = tokenizer.as_ref().map(|_| &count as requests::TokenCounter<'_>);
    let written = requests::write(&args.out, (task, &profile, &pool), items, limits, counter).map_err(config_error)?;
    let input_tokens = match (tokenizer, written.prompt_tokens) {
        (Some((name, _)), Some(tokens)) => InputTokens::Tokenizer {
            name: name.to_string(),
            tokens,
        },
        _ => InputTokens::Estimate {
            tokens: written.prompt_chars.div_ceil(4),
        },
    };
    let run = BatchRun {
        task: task.name.clone(),
        profile: profile.name.clone(),
        model: profile.model.clone(),
        created_at: crate::clock::now(),
        requests: written.requests(),
        input_tokens,
        parts: written.parts,
        left_out: written.left_out,
        service: None,
        batches: Vec::new(),
        vllm: None,
    };
    dir.save(&run).map_err(config_error)?;
    for (id, why) in &run.left_out {
        crate::stdout::errln!("left out {id}: {why}");
    }
    crate::stdout::errln!(
        "{} requests for {} in {} file(s) under {}, {}{}; send them with: retort batch submit {}",
        run.requests,
        run.model,
        run.parts.len(),
        args.out.display(),
        run.input_tokens.describe(),
        if bad_lines > 0 {
            format!("; {bad_lines} unreadable input line(s) skipped")
        } else {
            String::new()
        },
        args.out.display()
    );
    Ok(())
}

/// The run's manifest, with the run held against a second Retort working on it.
pub(super) fn open_run(path: &std::path::Path) -> Result<(RunDir, BatchRun, crate::lock::Held)> {
    let dir = RunDir::new(path);
    let run = dir.load().map_err(config_error)?;
    let held = crate::lock::hold(&dir.manifest(), "retort batch").map_err(busy)?;
    Ok((dir, run, held))
}

/// The batch service of the run's profile: its first base URL, its key's variable.
pub(super) fn service_of(paths: &Paths, run: &BatchRun) -> Result<Batches> {
    let profiles = super::setup(paths).profiles;
    let profile = profiles.require(&run.profile).map_err(config_error)?;
    let crate::llm::profile::Engine::Openai(server) = &profile.engine else {
        return Err(config_error(format!(
            "profile {} is no longer an OpenAI-compatible service",
            profile.name
        )));
    };
    let base_url = run
        .service
        .clone()
        .or_else(|| profile.endpoints().into_iter().next())
        .unwrap_or_default();
    let key_env = server.api_key_env.as_deref().unwrap_or(crate::service::DEFAULT_KEY_ENV);
    let api = crate::service::Service::new(&base_url, key_env).map_err(config_error)?;
    Ok(Batches::new(api))
}

pub(super) fn remote_failure(e: RemoteError) -> anyhow::Error {
    Failure {
        code: if e.is_usage() { exit::CONFIG } else { 1 },
        message: e.to_string(),
    }
    .into()
}

fn submit(paths: &Paths, args: BatchSubmitArgs) -> Result<()> {
    let (dir, mut run, _held) = open_run(&args.run)?;
    let parts: Vec<Part> = remote::unsent(&run, &run.parts).into_iter().cloned().collect();
    if run.vllm.is_some() {
        return Err(config_error(format!(
            "{} runs on vLLM (retort batch vllm); it is followed with status and collect",
            args.run.display()
        )));
    }
    if parts.is_empty() {
        crate::stdout::errln!(
            "every request file of {} is submitted; follow them with: retort batch status {}",
            args.run.display(),
            args.run.display()
        );
        return Ok(());
    }
    let batches = service_of(paths, &run)?;
    let requests: usize = parts.iter().map(|p| p.requests).sum();
    let tokens = share_of_tokens(&run.input_tokens, requests, run.requests);
    let question = format!(
        "{requests} requests for {} in {} file(s), {tokens}, go to {} as {} batch(es)",
        run.model,
        parts.len(),
        batches.base_url(),
        parts.len()
    );
    ask(&question, args.yes, "Upload them and create the batches?")?;
    send_parts(&batches, &dir, &mut run, &parts, 0)?;
    crate::stdout::errln!(
        "{} batch(es) created; follow them with: retort batch status {} --watch",
        parts.len(),
        args.run.display()
    );
    Ok(())
}

/// Uploads and creates a batch per part, saving after each step.
pub(super) fn send_parts(
    batches: &Batches,
    dir: &RunDir,
    run: &mut BatchRun,
    parts: &[Part],
    retry: u32,
) -> Result<()> {
    let rt = runtime()?;
    for part in parts {
        rt.block_on(remote::send(batches, dir, run, part, retry))
            .map_err(remote_failure)?;
        if let Some(sent) = run.batches.iter().find(|b| b.file == part.file) {
            crate::stdout::errln!(
                "{}: batch {} {}",
                part.file,
                sent.batch_id.as_deref().unwrap_or("?"),
                sent.status
            );
        }
    }
    Ok(())
}

/// The tokens of `requests` of the run's `total`, described as they were counted.
pub(super) fn share_of_tokens(tokens: &InputTokens, requests: usize, total: usize) -> String {
    let share = |n: usize| n * requests / total.max(1);
    match tokens {
        InputTokens::Tokenizer { name, tokens } => InputTokens::Tokenizer {
            name: name.clone(),
            tokens: share(*tokens),
        },
        InputTokens::Estimate { tokens } => InputTokens::Estimate { tokens: share(*tokens) },
    }
    .describe()
}

/// Says what is about to be sent and asks on the terminal; `yes` answers for the person.
pub(super) fn ask(what: &str, yes: bool, question: &str) -> Result<()> {
    crate::stdout::errln!("{what}");
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(config_error(
            "nothing was uploaded: this sends paid requests and there is no terminal to ask; add --yes",
        ));
    }
    crate::stdout::write_err(&format!("{question} [y/N] "));
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(config_error("nothing was uploaded"))
    }
}

fn status(paths: &Paths, args: BatchStatusArgs) -> Result<()> {
    let (dir, mut run, _held) = open_run(&args.run)?;
    if run.batches.is_empty() {
        return Err(config_error(format!(
            "nothing of {} is submitted yet: retort batch submit {}",
            args.run.display(),
            args.run.display()
        )));
    }
    let bars = Bars::new(&run.batches, args.watch && std::io::stderr().is_terminal());
    loop {
        look_again(paths, &dir, &mut run)?;
        bars.show(&run.batches);
        if !args.watch || run.pending().next().is_none() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(args.every));
    }
    bars.clear();
    for submitted in &run.batches {
        outln!("{}", status_line(submitted))?;
    }
    if let Some(error) = run.vllm.as_ref().and_then(|job| job.error.as_ref()) {
        outln!("{error}")?;
    }
    let done = run.pending().next().is_none();
    crate::stdout::errln!(
        "{}",
        if done {
            format!(
                "every batch is done; collect the answers with: retort batch collect {}",
                args.run.display()
            )
        } else {
            format!("{} batch(es) still running", run.pending().count())
        }
    );
    Ok(())
}

/// Reads the batches' states again: from the service, or from vLLM's job.
pub(super) fn look_again(paths: &Paths, dir: &RunDir, run: &mut BatchRun) -> Result<()> {
    if run.vllm.is_some() {
        return crate::batch::vllm::refresh(dir, run).map_err(vllm_failure);
    }
    let batches = service_of(paths, run)?;
    let failures = runtime()?
        .block_on(remote::refresh(&batches, dir, run))
        .map_err(remote_failure)?;
    for failure in &failures {
        crate::stdout::errln!("could not read a batch's state (its last known state stands): {failure}");
    }
    Ok(())
}

pub(super) fn vllm_failure(e: crate::batch::vllm::VllmError) -> anyhow::Error {
    Failure {
        code: match e {
            crate::batch::vllm::VllmError::Running(..) => exit::BUSY,
            _ => 1,
        },
        message: e.to_string(),
    }
    .into()
}

fn vllm(args: BatchVllmArgs) -> Result<()> {
    let (dir, mut run, _held) = open_run(&args.run)?;
    if run.vllm.is_none() && !run.batches.is_empty() {
        return Err(config_error(format!(
            "{} went to a batch service already; prepare another run for vLLM",
            args.run.display()
        )));
    }
    let parts: Vec<Part> = remote::unsent(&run, &run.parts).into_iter().cloned().collect();
    if parts.is_empty() {
        crate::stdout::errln!(
            "every request file of {} is sent; follow them with: retort batch status {}",
            args.run.display(),
            args.run.display()
        );
        return Ok(());
    }
    let name = dir
        .path
        .file_name()
        .map_or("run".into(), |n| n.to_string_lossy().to_string());
    let workdir = match (&args.workdir, &args.host) {
        (Some(workdir), _) => workdir.clone(),
        (None, Some(_)) => format!("retort-batch/{name}"),
        (None, None) => std::path::absolute(&dir.path)?.display().to_string(),
    };
    let job = crate::batch::run_dir::VllmJob {
        host: args.host.clone(),
        workdir,
        weights: args.weights.clone(),
        python: args.python.clone(),
        args: args.vllm_args.clone(),
        pid: None,
        error: None,
    };
    let requests: usize = parts.iter().map(|p| p.requests).sum();
    crate::batch::vllm::start(&dir, &mut run, job, &parts, 0).map_err(vllm_failure)?;
    crate::stdout::errln!(
        "run_batch started ({}) over {requests} requests in {} file(s), {} served as {}; follow it with: retort batch status {} --watch",
        run.service.as_deref().unwrap_or_default(),
        parts.len(),
        args.weights,
        run.model,
        args.run.display()
    );
    Ok(())
}

/// `requests-001.jsonl  batch_abc  in_progress  40/100 done, 2 failed`.
fn status_line(b: &Submitted) -> String {
    let mut line = format!(
        "{}  {}  {}  {}/{} done, {} failed",
        b.file,
        b.batch_id.as_deref().unwrap_or("(not created)"),
        b.status,
        b.counts.completed,
        b.counts.total.max(b.requests as u64),
        b.counts.failed
    );
    for error in &b.errors {
        line.push_str(&format!("\n    {error}"));
    }
    line
}

/// One progress bar per batch on a terminal, while watching.
struct Bars {
    bars: Vec<indicatif::ProgressBar>,
}

impl Bars {
    fn new(batches: &[Submitted], visible: bool) -> Bars {
        if !visible {
            return Bars { bars: Vec::new() };
        }
        let multi = indicatif::MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::stderr());
        let style = indicatif::ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len}  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        let bars = batches
            .iter()
            .map(|b| {
                let bar = multi.add(indicatif::ProgressBar::new(b.requests as u64));
                bar.set_style(style.clone());
                bar.set_prefix(b.file.clone());
                bar
            })
            .collect();
        Bars { bars }
    }

    fn show(&self, batches: &[Submitted]) {
        for (bar, b) in self.bars.iter().zip(batches) {
            bar.set_length(b.counts.total.max(b.requests as u64));
            bar.set_position(b.counts.completed + b.counts.failed);
            bar.set_message(format!(
                "{}{}",
                b.status,
                if b.counts.failed > 0 {
                    format!(", {} failed", b.counts.failed)
                } else {
                    String::new()
                }
            ));
        }
    }

    fn clear(&self) {
        self.bars.iter().for_each(indicatif::ProgressBar::finish_and_clear);
    }
}
