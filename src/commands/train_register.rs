//! `retort train register`: a finished run's model becomes a fine-tuned profile of its task in
//! models.toml. An OpenAI run's `ft:…` model on the same service (naming the key's variable); a
//! trainer's adapter on the profile that serves its base: converted for the embedded engine,
//! selected per request on llama.cpp, or served by vLLM (the command is printed).

use super::train::job_failure;
use super::{config_error, setup};
use crate::config::Paths;
use crate::llm::ModelProfile;
use crate::llm::profile::{Engine, Mode, Server};
use crate::train::run::{Job, Run, Status};
use anyhow::Result;

pub fn register(
    paths: &Paths,
    id: &str,
    name: Option<String>,
    base_profile: Option<String>,
    checkpoint: Option<u64>,
) -> Result<String> {
    let mut run = Run::load(&paths.data, id).map_err(job_failure)?;
    let Some(model) = run.fine_tuned_model.clone().filter(|_| run.status == Status::Succeeded) else {
        return Err(config_error(format!(
            "run {id} is {} and has no model to register yet{}",
            run.status,
            if run.status.is_final() {
                ""
            } else {
                "; `retort train watch` follows it to the end"
            }
        )));
    };
    let model = match checkpoint {
        None => model,
        Some(step) => match run.checkpoints.iter().find(|c| c.step == step) {
            Some(kept) => kept.model.clone(),
            None => {
                let steps: Vec<String> = run.checkpoints.iter().map(|c| c.step.to_string()).collect();
                return Err(config_error(format!(
                    "run {id} kept no checkpoint at step {step}; it kept {}",
                    if steps.is_empty() {
                        "none".into()
                    } else {
                        format!("steps {}", steps.join(", "))
                    }
                )));
            }
        },
    };
    let name = name.unwrap_or_else(|| {
        format!(
            "{}-{}",
            run.task,
            run.id.split('-').take(2).collect::<Vec<_>>().join("")
        )
    });
    let profile = match &run.job {
        Job::Openai {
            base_url, api_key_env, ..
        } => ModelProfile {
            engine: Engine::Openai(Server {
                api_key_env: Some(api_key_env.clone()),
                ..Server::at(base_url)
            }),
            ..ModelProfile::openai(&name, base_url, &model, Mode::FineTuned)
        },
        Job::Command {
            host,
            base_profile: at_start,
            ..
        } => {
            let Some(base) = base_profile.or_else(|| at_start.clone()) else {
                return Err(config_error(format!(
                    "the adapter of run {id} is at {model}; say which profile serves its base model with --base-profile (see `retort models`)"
                )));
            };
            adapter_profile(paths, &name, &base, &model, host.is_some())?
        }
    };
    let profile = ModelProfile {
        task: Some(run.task.clone()),
        mode: Mode::FineTuned,
        ..profile
    };
    crate::llm::models_file::add_profile(&paths.config, &profile).map_err(config_error)?;
    run.profile = Some(name.clone());
    run.save(&paths.data).map_err(job_failure)?;
    crate::stdout::errln!(
        "registered {model} as the profile {name:?} (fine-tuned, task {}); compare it with prompt-only in the workbench (m, M) or run it with `retort extract --model {name}`",
        run.task
    );
    Ok(name)
}

/// The adapter on the profile `base`: here, as `retort models add --adapter` makes it; on the
/// training host, served there by vLLM.
fn adapter_profile(paths: &Paths, name: &str, base: &str, model: &str, remote: bool) -> Result<ModelProfile> {
    if !remote {
        return super::adapters::profile(paths, name, base, std::path::Path::new(model), 1.0);
    }
    let base = setup(paths).profiles.require(base).map_err(config_error)?.clone();
    let (host, path) = model.split_once(':').unwrap_or(("", model));
    crate::stdout::errln!(
        "serve it on {host} with: vllm serve {} --enable-lora --lora-modules {} (the profile asks for the model {name:?})",
        if base.model.is_empty() {
            "BASE_MODEL".into()
        } else {
            crate::host::word(&base.model)
        },
        crate::host::word(&format!("{name}={path}")),
    );
    Ok(ModelProfile {
        name: name.to_string(),
        model: name.to_string(),
        ..base
    })
}
