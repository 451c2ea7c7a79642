//! `retort batch`: a corpus's requests as a batch service's request files.

use super::{config_error, corpus_model, corpus_paragraphs};
use crate::batch::requests::{self, Limits, Part};
use crate::cli::{BatchAction, BatchPrepareArgs};
use crate::config::Paths;
use crate::dataset::store::Store;
use anyhow::Result;
use serde::{Deserialize, Serialize};

/// What `prepare` wrote, kept as OUT/run.json.
#[derive(Debug, Serialize, Deserialize)]
pub struct Prepared {
    pub task: String,
    pub profile: String,
    pub model: String,
    pub created_at: String,
    pub requests: usize,
    pub parts: Vec<Part>,
    /// Input tokens, estimated at four characters a token (no tokenizer of the service's model here).
    pub estimated_input_tokens: usize,
    /// (paragraph id, why it has no request).
    pub left_out: Vec<(String, String)>,
}

pub fn batch(paths: &Paths, action: BatchAction) -> Result<()> {
    match action {
        BatchAction::Prepare(args) => prepare(paths, *args),
    }
}

fn prepare(paths: &Paths, args: BatchPrepareArgs) -> Result<()> {
    let corpus = &args.corpus;
    let (task, profile) = corpus_model(paths, corpus)?;
    let task = &task;
    let manifest = args.out.join("run.json");
    let first_part = args.out.join("requests-001.jsonl");
    for output in [&manifest, &first_part] {
        crate::atomic::refuse_same_file(output, [corpus.input.as_path()]).map_err(config_error)?;
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
    let written = requests::write(&args.out, (task, &profile, &pool), items, limits).map_err(config_error)?;
    let prepared = Prepared {
        task: task.name.clone(),
        profile: profile.name.clone(),
        model: profile.model.clone(),
        created_at: crate::clock::now(),
        requests: written.requests(),
        estimated_input_tokens: written.prompt_chars.div_ceil(4),
        parts: written.parts,
        left_out: written.left_out,
    };
    crate::atomic::write(&manifest, serde_json::to_vec_pretty(&prepared)?)?;
    for (id, why) in &prepared.left_out {
        crate::stdout::errln!("left out {id}: {why}");
    }
    crate::stdout::errln!(
        "{} requests for {} in {} file(s) under {}, about {} input tokens (estimated at 4 characters a token){}",
        prepared.requests,
        prepared.model,
        prepared.parts.len(),
        args.out.display(),
        prepared.estimated_input_tokens,
        if bad_lines > 0 {
            format!("; {bad_lines} unreadable input line(s) skipped")
        } else {
            String::new()
        }
    );
    Ok(())
}
