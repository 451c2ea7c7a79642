//! The headless commands, each a thin driver of the library.

pub use crate::cli::{Failure, busy, exit};
use crate::clock::now;
use crate::config::Paths;
use crate::dataset::export::{ExportPlan, export_dir, export_saved, parse_shares};
use crate::dataset::store::{SavedExample, Store, new_id};
use crate::eval::{EvalRequest, evaluate, render};
use crate::input::read_examples;
use crate::llm::profile::Engine;
use crate::stdout::{out, outln};
use anyhow::{Context, Result, anyhow};
use std::path::PathBuf;

mod adapters;
pub use adapters::adapter_file;
mod authoring;
mod batch;
mod batch_collect;
pub use batch::batch;
mod curve;
mod extract;
mod ingest;
mod review;
mod train;
mod train_curve;
mod train_local;
mod train_progress;
mod train_register;
mod train_start;
pub use authoring::{check_task, new_task};
pub use curve::curve;
pub use extract::extract;
pub use ingest::ingest;
pub use review::review_summary;
pub use train::train;

/// The task and the profile a corpus run names (`--grounding` applied to the profile).
pub(crate) fn corpus_model(
    paths: &Paths,
    corpus: &crate::cli::CorpusArgs,
) -> Result<(crate::task::Task, crate::llm::ModelProfile)> {
    let crate::setup::Setup { registry, profiles, .. } = setup(paths);
    let task = registry.require(&corpus.task).map_err(config_error)?.clone();
    let mut profile = profiles.require(&corpus.model).map_err(config_error)?.clone();
    if let Some(grounding) = corpus.grounding {
        profile.grounding = grounding;
    }
    Ok((task, profile))
}

/// The paragraphs a corpus run reads from `source`: filtered (prose unless asked) and
/// windowed; the blocks the filter passed over are said on stderr.
pub(crate) fn corpus_paragraphs(
    corpus: &crate::cli::CorpusArgs,
    task: &crate::task::Task,
    source: &crate::input::Source,
) -> Result<crate::input::Paragraphs> {
    let filter = corpus
        .filter
        .filter(Some(crate::input::filter::PROSE))
        .map_err(config_error)?;
    let paragraphs = crate::input::stream(source, task, &filter)
        .map_err(config_error)?
        .window(corpus.skip, corpus.limit);
    if let Some(said) = paragraphs.passed_over.summary() {
        crate::stdout::errln!("{said}");
    }
    Ok(paragraphs)
}

/// Tasks and profiles, each problem printed as a warning.
pub(crate) fn setup(paths: &Paths) -> crate::setup::Setup {
    let setup = crate::setup::Setup::load(paths);
    for problem in &setup.problems {
        crate::stdout::errln!("warning: {problem}");
    }
    setup
}

pub fn eval(paths: &Paths, args: crate::cli::EvalArgs) -> Result<()> {
    let registry = setup(paths).registry;
    let task = registry.require(&args.task).map_err(config_error)?;
    let saved_gold = match &args.gold {
        Some(path) if path.as_os_str() == "saved" => Some(saved_as_gold(paths, task)?),
        _ => None,
    };
    let reports = evaluate(&EvalRequest {
        task,
        gold: saved_gold.as_deref().or(args.gold.as_deref()),
        predictions: &args.predictions,
        strict: args.strict,
        scoring: crate::eval::Scoring {
            lowercase: args.lowercase,
            generic: args.generic,
        },
    })
    .map_err(config_error)?;
    for report in &reports {
        for skipped in report.skipped.iter().take(5) {
            crate::stdout::errln!("skipped: {skipped}");
        }
        if report.skipped.len() > 5 {
            crate::stdout::errln!("skipped {} more rows", report.skipped.len() - 5);
        }
    }
    out!("{}", render(&reports, args.format))?;
    let empty = reports.iter().map(|r| (r.source.clone(), r.nothing_scored.clone()));
    nothing_scored("nothing scored in", empty)
}

/// A score over nothing is no score: the command fails, saying why for each (file, reason).
pub(crate) fn nothing_scored(lead: &str, files: impl Iterator<Item = (String, Option<String>)>) -> Result<()> {
    let empty: Vec<String> = files
        .filter_map(|(file, why)| Some(format!("{file}: {}", why?)))
        .collect();
    if empty.is_empty() {
        return Ok(());
    }
    Err(Failure {
        code: exit::NOTHING_SCORED,
        message: format!("{lead} {}", empty.join("; ")),
    }
    .into())
}

/// The task's saved examples as a gold file (`--gold saved`), in the state directory.
fn saved_as_gold(paths: &Paths, task: &crate::task::Task) -> Result<PathBuf> {
    let (examples, _) = Store::new(paths.examples_dir()).read(&task.name)?;
    if examples.is_empty() {
        return Err(config_error(format!(
            "--gold saved: no saved examples for task {} yet",
            task.name
        )));
    }
    let lines: Vec<String> = examples
        .iter()
        .map(|e| serde_json::json!({"id": e.source_id(), "text": e.paragraph, "answer": e.answer}).to_string())
        .collect();
    std::fs::create_dir_all(&paths.state).map_err(crate::config::io_at("creating", &paths.state))?;
    let path = paths.state.join(format!("gold-saved-{}.jsonl", task.name));
    crate::atomic::write(&path, lines.join("\n") + "\n")?;
    Ok(path)
}

pub fn tasks(paths: &Paths, show: Option<&str>) -> Result<()> {
    let registry = setup(paths).registry;
    match show {
        Some(name) => {
            let task = registry.require(name).map_err(config_error)?;
            out!("{}", toml::to_string_pretty(task).context("writing the task as TOML")?)?;
        }
        None => {
            let width = registry.tasks.iter().map(|t| t.name.len()).max().unwrap_or(0);
            for task in &registry.tasks {
                outln!("{:width$}  {:16}  {}", task.name, task.format.name(), task.title)?;
            }
        }
    }
    Ok(())
}

/// The gold files `--exclude` names, read as `retort eval` reads gold.
pub(crate) fn excluded(
    task: &crate::task::Task,
    files: &[std::path::PathBuf],
) -> Result<Vec<crate::dataset::export::Excluded>> {
    let read = |file: &std::path::PathBuf| {
        let (examples, _) =
            crate::input::read_examples(file, task).map_err(|e| config_error(format!("--exclude: {e}")))?;
        Ok(crate::dataset::export::Excluded::new(file, &examples))
    };
    files.iter().map(read).collect()
}

pub fn export(paths: &Paths, args: crate::cli::ExportArgs) -> Result<()> {
    let crate::cli::ExportArgs {
        task,
        to,
        style: styles,
        split,
        seed,
        sizes,
        exclude,
    } = args;
    let (task, to, split) = (task.as_str(), to.as_path(), split.as_str());
    let registry = setup(paths).registry;
    let task = registry.require(task).map_err(config_error)?;
    let store = Store::new(paths.examples_dir());
    let one_file = to.extension().is_some_and(|e| e == "jsonl") && styles.len() == 1 && split == "train=1";
    let examples_file = store.path(&task.name);
    crate::atomic::refuse_same_file(
        to,
        exclude.iter().map(PathBuf::as_path).chain([examples_file.as_path()]),
    )
    .map_err(config_error)?;
    if one_file && sizes.is_empty() && exclude.is_empty() {
        let (count, warnings) = export_saved(&store, task, styles[0], to)?;
        for warning in &warnings {
            crate::stdout::errln!("warning: {warning}");
        }
        crate::stdout::errln!("wrote {count} lines to {}", to.display());
        return Ok(());
    }
    let plan = ExportPlan {
        styles,
        shares: parse_shares(split).map_err(|e| config_error(format!("--split: {e}")))?,
        seed,
        sizes,
        exclude: excluded(task, &exclude)?,
    };
    let report = export_dir(&store, task, &plan, to)?;
    for warning in &report.warnings {
        crate::stdout::errln!("warning: {warning}");
    }
    let counts: Vec<String> = report.examples.iter().map(|(n, c)| format!("{n} {c}")).collect();
    crate::stdout::errln!(
        "wrote {} files to {} (examples: {}; {} left out as in an excluded file, {} older saves superseded)",
        report.files.len(),
        to.display(),
        counts.join(", "),
        report.excluded,
        report.superseded
    );
    Ok(())
}

pub fn import(paths: &Paths, args: crate::cli::ImportArgs) -> Result<()> {
    let (task, files) = (args.task.as_str(), &args.files);
    let registry = setup(paths).registry;
    let task = registry.require(task).map_err(config_error)?;
    let store = Store::new(paths.examples_dir());
    for file in files {
        let (examples, problems) = read_examples(file, task).map_err(config_error)?;
        for problem in problems.iter().take(5) {
            crate::stdout::errln!("skipped: {problem}");
        }
        if problems.len() > 5 {
            crate::stdout::errln!("skipped {} more rows", problems.len() - 5);
        }
        let mut saved = Vec::new();
        let mut unparsable = 0;
        for example in examples {
            let Some(answer) = example.gold else { continue };
            match task.parse_grounded(&answer, &example.input) {
                Ok(extraction) => saved.push(SavedExample {
                    id: new_id(),
                    task: task.name.clone(),
                    paragraph: example.input,
                    answer,
                    extraction,
                    runs: Vec::new(),
                    saved_at: now(),
                    provenance: format!("import:{}#{}", file.display(), example.id),
                    source_id: Some(example.id),
                }),
                Err(e) => {
                    unparsable += 1;
                    crate::stdout::errln!("skipped {}: {e}", example.id);
                }
            }
        }
        store.append_all(&saved)?;
        crate::stdout::errln!(
            "imported {} examples from {} into {} ({unparsable} unparsable, {} bad rows skipped)",
            saved.len(),
            file.display(),
            store.path(&task.name).display(),
            problems.len()
        );
    }
    Ok(())
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub(crate) fn config_error(message: impl std::fmt::Display) -> anyhow::Error {
    Failure {
        code: exit::CONFIG,
        message: message.to_string(),
    }
    .into()
}

/// Checks, before anything is written, that the profile can answer at all: each server's
/// `/v1/models`, or the embedded model file and engine. Servers that do not answer are named;
/// when none does, the run stops.
pub(crate) async fn preflight(engine: &crate::llm::HttpEngine, profile: &crate::llm::ModelProfile) -> Result<()> {
    let unreachable = |message: String| -> anyhow::Error {
        Failure {
            code: exit::UNREACHABLE,
            message: format!("{message}; nothing was written"),
        }
        .into()
    };
    match &profile.engine {
        Engine::Embedded(local) => {
            crate::llm::embedded::check_file(&local.path).map_err(|e| unreachable(e.to_string()))?;
            crate::llm::embedded::backend_summary().map_err(|e| unreachable(e.to_string()))?;
            return Ok(());
        }
        Engine::Openai(_) => {}
    }
    let mut problems = Vec::new();
    let key = profile.api_key();
    for url in profile.endpoints() {
        let asked = engine.list_models(&url, key.as_deref());
        match tokio::time::timeout(std::time::Duration::from_secs(10), asked).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => problems.push(format!("{url}: {e}")),
            Err(_) => problems.push(format!("{url}: no answer within 10 s")),
        }
    }
    if problems.len() == profile.endpoints().len() {
        return Err(unreachable(format!(
            "no endpoint of profile {:?} answers: {}",
            profile.name,
            problems.join("; ")
        )));
    }
    for problem in problems {
        crate::stdout::errln!("warning: {problem}");
    }
    Ok(())
}

pub fn models(paths: &Paths) -> Result<()> {
    let profiles = setup(paths).profiles;
    let uses_embedded = profiles.profiles.iter().any(|p| p.in_process().is_some());
    if uses_embedded {
        match crate::llm::embedded::backend_summary() {
            Ok(summary) => outln!("embedded engine: {summary}")?,
            Err(e) => outln!("embedded engine: unavailable: {e}")?,
        }
    }
    match crate::input::papers::pdf::pdfium_status() {
        Ok(at) => outln!("PDF reader: PDFium ({at})")?,
        Err(why) => outln!("PDF reader: unavailable: {why}")?,
    }
    let statuses = runtime()?.block_on(async {
        let engine = crate::llm::HttpEngine::new();
        let checks = profiles.profiles.iter().map(|p| profile_status(&engine, p));
        futures_util::future::join_all(checks).await
    });
    for (profile, status) in profiles.profiles.iter().zip(statuses) {
        let (mode, structured) = (profile.mode.to_string(), profile.structured().to_string());
        let task = profile
            .task
            .as_ref()
            .map_or(String::new(), |t| format!(" (fine-tuned for {t})"));
        outln!("{:16} {:10} {:12} {status}{task}", profile.name, mode, structured)?;
    }
    Ok(())
}

async fn profile_status(engine: &crate::llm::HttpEngine, profile: &crate::llm::ModelProfile) -> String {
    match &profile.engine {
        Engine::Embedded(local) => embedded_status(profile, local),
        Engine::Openai(server) => server_status(engine, profile, server).await,
    }
}

fn embedded_status(profile: &crate::llm::ModelProfile, local: &crate::llm::profile::InProcess) -> String {
    let path = local.path.display();
    let missing_adapter = profile
        .lora
        .iter()
        .filter_map(|l| l.path.as_deref())
        .find(|p| !p.is_file());
    let state = match (crate::llm::embedded::check_file(&local.path), missing_adapter) {
        (Ok(()), None) => "ready".to_string(),
        (Ok(()), Some(adapter)) => format!("its adapter {} is gone; not ready", adapter.display()),
        (Err(e), _) => e.to_string(),
    };
    let adapters: String = profile.lora.iter().map(|l| format!(" + LoRA {}", l.label())).collect();
    format!("in-process {path}{adapters}: {state}")
}

async fn server_status(
    engine: &crate::llm::HttpEngine,
    profile: &crate::llm::ModelProfile,
    server: &crate::llm::profile::Server,
) -> String {
    let mut parts = Vec::new();
    for url in &server.base_urls {
        if let (Some(var), None) = (&server.api_key_env, profile.api_key()) {
            parts.push(format!("{url}: needs {var}"));
            continue;
        }
        let key = profile.api_key();
        match crate::llm::served::list(engine, url, key.as_deref()).await {
            Ok(served) => parts.push(format!(
                "{url}: serves {}{}",
                if served.is_empty() {
                    "nothing listed".into()
                } else {
                    served
                        .iter()
                        .map(crate::llm::served::Served::label)
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                server_adapters(engine, url, key.as_deref()).await
            )),
            Err(crate::llm::error::LlmError::Connect { .. }) => parts.push(format!("{url}: unreachable")),
            Err(e) => parts.push(format!("{url}: {e}")),
        }
    }
    parts.join("; ")
}

/// A llama.cpp server's LoRA adapters (` · LoRA adapters: 0 chem-10.gguf, …`); nothing for a
/// server without `/lora-adapters`.
async fn server_adapters(engine: &crate::llm::HttpEngine, url: &str, key: Option<&str>) -> String {
    match crate::llm::served::adapters(engine, url, key).await {
        Ok(listed) if !listed.is_empty() => {
            let names: Vec<String> = listed
                .iter()
                .map(|a| {
                    let file = std::path::Path::new(&a.path)
                        .file_name()
                        .map_or(a.path.clone(), |n| n.to_string_lossy().into_owned());
                    format!("{} {file}", a.id)
                })
                .collect();
            format!(" · LoRA adapters: {}", names.join(", "))
        }
        _ => String::new(),
    }
}

pub fn fetch_default(paths: &Paths) -> Result<()> {
    let dir = paths.models_dir();
    crate::stdout::errln!("this runs: {}", crate::llm::fetch::describe(&dir));
    crate::llm::fetch::fetch_default(&dir, false, &|step| crate::stdout::errln!("{step}")).map_err(|e| anyhow!(e))?;
    Ok(())
}

/// `retort models add`: the profile appended to models.toml after its task is checked.
pub fn add_model(paths: &Paths, args: crate::cli::AddModelArgs) -> Result<()> {
    let crate::cli::AddModelArgs {
        name,
        gguf,
        base_url,
        model,
        mode,
        task,
        adapter,
        base,
        scale,
    } = args;
    let profile = match (gguf, base_url, adapter.zip(base)) {
        (_, _, Some((adapter, base))) => adapters::profile(paths, &name, &base, &adapter, scale)?,
        (Some(path), _, None) => crate::llm::ModelProfile::embedded(&name, &path, crate::llm::profile::Mode::FewShot),
        (None, Some(url), None) => crate::llm::ModelProfile::openai(
            &name,
            &url,
            model.as_deref().unwrap_or_default(),
            crate::llm::profile::Mode::FewShot,
        ),
        (None, None, None) => {
            return Err(config_error(
                "give --gguf PATH, --base-url URL --model ID, or --adapter DIR --base PROFILE",
            ));
        }
    };
    let mode = mode.unwrap_or(crate::llm::profile::Mode::FineTuned);
    let profile = crate::llm::ModelProfile { task, mode, ..profile };
    if let Some(task) = &profile.task {
        setup(paths).registry.require(task).map_err(config_error)?;
    }
    if let Some(path) = profile.gguf().filter(|p| !p.exists()) {
        crate::stdout::errln!("warning: {} does not exist (yet)", path.display());
    }
    crate::llm::models_file::add_profile(&paths.config, &profile).map_err(config_error)?;
    crate::stdout::errln!(
        "added profile {:?} to {}; pick it with `m` or `M` in the workbench, or --model {} / --compare-model {}",
        profile.name,
        paths.config.join("models.toml").display(),
        profile.name,
        profile.name
    );
    Ok(())
}

pub fn fetch_model(paths: &Paths, args: crate::cli::FetchModelArgs) -> Result<()> {
    use crate::llm::download;
    let (url, sha256, name, mode) = (
        args.url.as_str(),
        args.sha256.as_deref(),
        args.name.as_deref(),
        args.mode,
    );
    let file = download::file_name(url).ok_or_else(|| anyhow!("{url} does not end in a file name"))?;
    let target = paths.models_dir().join(&file);
    let name = name
        .map(String::from)
        .unwrap_or_else(|| file.trim_end_matches(".gguf").to_string());
    let profile = crate::llm::ModelProfile::embedded(&name, &target, mode);
    // Refuse a taken name before spending the download on it.
    let models_toml = std::fs::read_to_string(paths.config.join("models.toml")).unwrap_or_default();
    crate::llm::models_file::with_profile(&models_toml, &profile)?;
    if target.exists() {
        crate::stdout::errln!("{} is already there", target.display());
    } else {
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("{bytes}/{total_bytes} {wide_bar} {bytes_per_sec} {eta}")
                .expect("a valid template"),
        );
        let progress = |have: u64, total: Option<u64>| {
            if let Some(total) = total {
                bar.set_length(total);
            }
            bar.set_position(have);
        };
        let client = crate::net::download_client()
            .build()
            .context("building the HTTP client")?;
        runtime()?.block_on(download::download(&client, url, &target, sha256, &progress))?;
        bar.finish_and_clear();
        crate::stdout::errln!("downloaded {}", target.display());
    }
    crate::llm::models_file::add_profile(&paths.config, &profile)?;
    crate::stdout::errln!(
        "added profile {name:?} to {}; pick it with `m` in the workbench or --model {name}",
        paths.config.join("models.toml").display()
    );
    Ok(())
}
