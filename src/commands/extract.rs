//! `retort extract`: checks the profile answers, streams the corpus through it, and says what
//! happened on stderr (and as JSON with `--summary json`) with an exit status to match.

use super::{Failure, busy, config_error, corpus_model, corpus_paragraphs, exit, preflight, runtime};
use crate::batch::{self, BatchSummary, Source, Target};
use crate::cli::{ExtractArgs, SummaryOutput};
use crate::config::Paths;
use crate::dataset::store::Store;
use crate::stdout::outln;
use anyhow::Result;

pub fn extract(paths: &Paths, args: ExtractArgs) -> Result<()> {
    let corpus = &args.corpus;
    let (task, profile) = corpus_model(paths, corpus)?;
    let (task, profile) = (&task, &profile);
    let (source, target) = (Source::from_arg(&corpus.input), Target::from_arg(&args.output));
    if args.resume && target == Target::Stdout {
        return Err(config_error("--resume needs an output file to resume from, not -"));
    }
    if let (Source::File(input), Target::File(output)) = (&source, &target) {
        let inputs = match input.is_dir() {
            true => crate::input::files_under(input).map(|w| w.files).unwrap_or_default(),
            false => vec![input.clone()],
        };
        crate::atomic::refuse_same_file(output, inputs.iter().map(|p| p.as_path())).map_err(config_error)?;
    }
    // One writer per output: a second extract (or a --resume compacting it) would lose lines.
    let _writing = match &target {
        Target::File(path) => Some(crate::lock::hold(path, "retort extract").map_err(busy)?),
        Target::Stdout => None,
    };
    let paragraphs = corpus_paragraphs(corpus, task, &source)?;
    let pool = crate::llm::prompt::few_shot_pool(&Store::new(paths.examples_dir()), &task.name);
    let options = batch::BatchOptions {
        concurrency: args.concurrency,
        resume: args.resume,
        progress: true,
    };
    let summary = runtime()?.block_on(async {
        let cancel = tokio_util::sync::CancellationToken::new();
        let on_interrupt = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                crate::stdout::errln!("interrupted: finishing the lines in flight");
                on_interrupt.cancel();
            }
        });
        let engines = crate::llm::Engines::new();
        preflight(&engines.http, profile).await?;
        let job = batch::BatchJob {
            task,
            profile,
            pool: &pool,
            output: &target,
            options,
        };
        let bad_line = |e: &crate::dataset::table::InputError| crate::stdout::errln!("skipped: {e}");
        Ok::<_, anyhow::Error>(batch::extract(&engines, &job, paragraphs, cancel, &bad_line).await?)
    })?;
    report(&summary, &source, &target);
    if args.summary == Some(SummaryOutput::Json) {
        let json = serde_json::to_string_pretty(&summary)?;
        match target {
            Target::Stdout => crate::stdout::errln!("{json}"),
            Target::File(_) => outln!("{json}")?,
        }
    }
    if !summary.interrupted && summary.failed == 0 && summary.all_incomplete() {
        return Err(Failure {
            code: exit::SOME_FAILED,
            message: format!(
                "every one of the {} answers is incomplete (cut at the token limit or stopped repeating itself); raise max_tokens, or use a better model",
                summary.written
            ),
        }
        .into());
    }
    match (summary.interrupted, summary.failed) {
        (true, _) => Err(Failure {
            code: exit::INTERRUPTED,
            message: "interrupted".into(),
        }
        .into()),
        (false, 0) => Ok(()),
        (false, failed) => Err(Failure {
            code: exit::SOME_FAILED,
            message: format!(
                "{failed} of {} paragraphs failed (their lines record the error)",
                summary.read
            ),
        }
        .into()),
    }
}

/// The summary for people, on stderr.
fn report(summary: &BatchSummary, source: &Source, target: &Target) {
    crate::stdout::errln!(
        "{} of {} paragraphs from {} written to {} ({} failed, {} incomplete, {} already there{}{})",
        summary.written,
        summary.read,
        source.describe(),
        target.describe(),
        summary.failed,
        summary.incomplete,
        summary.skipped,
        if summary.bad_lines > 0 {
            format!(", {} input lines skipped", summary.bad_lines)
        } else {
            String::new()
        },
        if summary.interrupted {
            "; interrupted: run again with --resume"
        } else {
            ""
        }
    );
    for (error, count) in &summary.errors {
        crate::stdout::errln!("  {count} × {error}");
    }
    if summary.copied_from_prompt > 0 {
        crate::stdout::errln!(
            "  {} of {} answers hold values copied from the prompt's worked examples, not from their paragraph (`from_prompt` in their lines); `--grounding strict` on an embedded model makes such a copy impossible",
            summary.copied_from_prompt,
            summary.written
        );
    }
    if summary.replicas.len() > 1 {
        for replica in &summary.replicas {
            crate::stdout::errln!(
                "  {}: served {}, failed {}, taken out of rotation {} time(s)",
                replica.url,
                replica.served,
                replica.failed,
                replica.taken_out
            );
        }
    }
}
