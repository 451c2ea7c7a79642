//! Models files: the shipped defaults and the user's `models.toml`, each profile loaded on its own
//! so that one broken profile is named with its line and the others load.

use super::{ModelProfile, ProfileError};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelsFile {
    #[serde(default)]
    model: Vec<super::raw::RawProfile>,
}

/// The shipped profiles (docs/models.md describes each).
pub const DEFAULTS: &str = include_str!("../default_models.toml");

/// The profiles in use and the problems with the user's file: each broken profile is left out
/// (named with its file and line); the others load.
#[derive(Debug, Clone)]
pub struct Profiles {
    pub profiles: Vec<ModelProfile>,
    pub problems: Vec<String>,
}

impl Profiles {
    /// The defaults, then `models.toml` in `config_dir` (a profile with a default's name
    /// replaces it). Profiles whose `requires_env` is unset are left out.
    pub fn load(config_dir: &Path) -> Profiles {
        let mut profiles = parse(DEFAULTS).unwrap_or_default();
        let path = config_dir.join("models.toml");
        let mut problems = Vec::new();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let (user, bad) = parse_each(&text);
                for (line, message) in bad {
                    problems.push(format!(
                        "{}:{line}: {message}; that profile is left out",
                        path.display()
                    ));
                }
                for profile in user {
                    match profiles.iter_mut().find(|p| p.name == profile.name) {
                        Some(existing) => *existing = profile,
                        None => profiles.push(profile),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => problems.push(format!("{}: {e}; using the default profiles", path.display())),
        }
        profiles.retain(|p| {
            p.requires_env
                .as_ref()
                .is_none_or(|var| std::env::var_os(var).is_some())
        });
        Profiles { profiles, problems }
    }

    /// Makes relative embedded model paths absolute under `models_dir`.
    pub fn resolve_paths(mut self, models_dir: &Path) -> Profiles {
        for profile in &mut self.profiles {
            if let super::Engine::Embedded(local) = &mut profile.engine {
                if local.path.is_relative() {
                    local.path = models_dir.join(&local.path);
                }
                for adapter in &mut profile.lora {
                    if let Some(path) = adapter.path.as_ref().filter(|p| p.is_relative()) {
                        adapter.path = Some(models_dir.join(path));
                    }
                }
            }
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&ModelProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    pub fn require(&self, name: &str) -> Result<&ModelProfile, crate::task::UnknownName> {
        self.get(name).ok_or_else(|| crate::task::UnknownName {
            kind: "model profile",
            name: name.to_string(),
            known: self.profiles.iter().map(|p| p.name.clone()).collect(),
        })
    }
}

pub fn parse(text: &str) -> Result<Vec<ModelProfile>, ProfileError> {
    let file: ModelsFile = toml::from_str(text).map_err(|e| ProfileError::Toml(e.to_string()))?;
    file.model.into_iter().map(ModelProfile::try_from).collect()
}

/// Every `[[model]]` of a models file on its own: the profiles that load, and (line, message)
/// for each that does not, so one broken profile does not take the others with it.
pub fn parse_each(text: &str) -> (Vec<ModelProfile>, Vec<(usize, String)>) {
    let mut profiles = Vec::new();
    let mut problems = Vec::new();
    for (first_line, chunk) in model_tables(text) {
        let parsed = toml::from_str::<ModelsFile>(&chunk);
        match parsed {
            Ok(file) => {
                for raw in file.model {
                    match ModelProfile::try_from(raw) {
                        Ok(profile) => profiles.push(profile),
                        Err(e) => problems.push((first_line + line_of_key(&chunk, &e), e.to_string())),
                    }
                }
            }
            Err(e) => {
                let offset = e
                    .span()
                    .map_or(0, |span| chunk[..span.start.min(chunk.len())].matches('\n').count());
                problems.push((first_line + offset, e.message().trim_end().to_string()));
            }
        }
    }
    (profiles, problems)
}

/// Lines from a table's first line to the key an error is about (0 when it is about the table).
fn line_of_key(chunk: &str, error: &ProfileError) -> usize {
    let ProfileError::OtherEnginesKey { key, .. } = error else {
        return 0;
    };
    let start = chunk.find("[[model]]").unwrap_or(0);
    let lines_before = chunk[..start].matches('\n').count();
    chunk[start..]
        .lines()
        .position(|line| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(0, |at| lines_before + at)
}

/// The file cut before each `[[model]]` header: (first line, text); comments before the first
/// header go with it.
fn model_tables(text: &str) -> Vec<(usize, String)> {
    let mut tables = Vec::new();
    let mut current = (1, String::new());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with("[[model]]") {
            if only_comments(&current.1) {
                current.0 = i + 1;
            } else {
                tables.push(std::mem::replace(&mut current, (i + 1, String::new())));
            }
        }
        current.1.push_str(line);
    }
    tables.push(current);
    tables
}

fn only_comments(text: &str) -> bool {
    text.lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::profile::{Mode, ShotChoice};

    #[test]
    fn the_cache_and_the_example_choice_are_keys_with_defaults() {
        let base = "[[model]]\nname = \"e\"\nengine = \"embedded\"\npath = \"m.gguf\"\n";
        let plain = parse(base).unwrap().remove(0);
        assert!(plain.in_process().unwrap().prompt_cache);
        assert_eq!(plain.few_shot_select, ShotChoice::Newest);
        let text = toml::to_string(&plain).unwrap();
        assert!(
            !text.contains("prompt_cache") && !text.contains("few_shot_select"),
            "{text}"
        );
        let set = parse(&format!("{base}prompt_cache = false\nfew_shot_select = \"similar\"\n"))
            .unwrap()
            .remove(0);
        assert!(!set.in_process().unwrap().prompt_cache);
        assert_eq!(set.few_shot_select, ShotChoice::Similar);
        let wrong = parse(&format!("{base}few_shot_select = \"random\"\n"))
            .unwrap_err()
            .to_string();
        assert!(wrong.contains("newest") && wrong.contains("similar"), "{wrong}");
    }

    #[test]
    fn defaults_parse_and_user_file_overrides() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("models.toml"),
            "[[model]]\nname = \"local-vllm\"\nengine = \"openai\"\nbase_urls = [\"http://a:1/v1\", \"http://b:2/v1/\"]\nmodel = \"m\"\nmode = \"fine-tuned\"\nstructured = \"vllm\"\n",
        )
        .unwrap();
        let profiles = Profiles::load(dir.path());
        assert!(profiles.problems.is_empty());
        let vllm = profiles.get("local-vllm").unwrap();
        assert_eq!(vllm.endpoints(), vec!["http://a:1/v1", "http://b:2/v1"]);
        assert_eq!(vllm.mode, Mode::FineTuned);
        assert!(profiles.get("local-llamacpp").is_some());
    }

    #[test]
    fn broken_file_names_file_and_line_and_keeps_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("models.toml"),
            "[[model]]\nname = \"x\"\nengine = \"openai\"\nbase_url = \"http://x\"\ntemprature = 1\n",
        )
        .unwrap();
        let profiles = Profiles::load(dir.path());
        let error = profiles.problems[0].clone();
        assert!(
            error.contains("models.toml:5:") && error.contains("temprature"),
            "{error}"
        );
        assert!(profiles.get("local-llamacpp").is_some());
    }

    #[test]
    fn one_bad_profile_keeps_the_others_and_is_named_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = "# my servers\n\n[[model]]\nname = \"good\"\nengine = \"openai\"\nbase_url = \"http://a:1/v1\"\n\n[[model]]\nname = \"bad\"\nengine = \"openai\"\nbase_url = \"http://b:1/v1\"\nmax_tokens = -5\n\n[[model]]\nname = \"no-url\"\nengine = \"openai\"\n\n[[model]]\nname = \"also-good\"\nengine = \"openai\"\nbase_url = \"http://c:1/v1\"\n";
        std::fs::write(dir.path().join("models.toml"), text).unwrap();
        let profiles = Profiles::load(dir.path());
        assert!(profiles.get("good").is_some() && profiles.get("also-good").is_some());
        assert!(profiles.get("bad").is_none() && profiles.get("no-url").is_none());
        assert_eq!(profiles.problems.len(), 2, "{:?}", profiles.problems);
        assert!(
            profiles.problems[0].contains("models.toml:12:"),
            "{:?}",
            profiles.problems
        );
        assert!(
            profiles.problems[1].contains("models.toml:14:") && profiles.problems[1].contains("no-url"),
            "{:?}",
            profiles.problems
        );
        assert!(profiles.get("local-llamacpp").is_some());
    }

    #[test]
    fn a_key_of_the_other_engine_is_named_with_its_line() {
        let text = "[[model]]\nname = \"srv\"\nengine = \"openai\"\nbase_url = \"http://a:1/v1\"\npath = \"m.gguf\"\n\n[[model]]\nname = \"local\"\nengine = \"embedded\"\npath = \"m.gguf\"\nthreads = 2\nstructured = \"vllm\"\n\n[[model]]\nname = \"fine\"\nengine = \"embedded\"\npath = \"m.gguf\"\n";
        let (loaded, problems) = parse_each(text);
        assert_eq!(loaded.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["fine"]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].0, 5, "{problems:?}");
        assert!(
            problems[0].1.contains("`path` is a key of embedded profiles"),
            "{problems:?}"
        );
        assert_eq!(problems[1].0, 12, "{problems:?}");
        assert!(
            problems[1].1.contains("`structured`") && problems[1].1.contains("engine = \"embedded\""),
            "{problems:?}"
        );
    }

    /// What older versions wrote into every profile (`structured = "none"`, `logprobs = true`)
    /// still loads on an embedded one: keys at their defaults say nothing of the engine.
    #[test]
    fn keys_at_their_defaults_do_not_mix_engines() {
        let text = "[[model]]\nname = \"old\"\nengine = \"embedded\"\npath = \"m.gguf\"\nstructured = \"none\"\nlogprobs = true\n\n[[model]]\nname = \"srv\"\nengine = \"openai\"\nbase_url = \"http://a:1/v1\"\nprompt_cache = true\n";
        let (loaded, problems) = parse_each(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(loaded.len(), 2);
    }

    #[test]
    fn a_profile_written_reads_back_the_same() {
        let text = "[[model]]\nname = \"two\"\nengine = \"openai\"\nbase_urls = [\"http://a:1/v1\", \"http://b:2/v1\"]\nstructured = \"vllm\"\nlogprobs = false\napi_key_env = \"K\"\n\n[[model]]\nname = \"e\"\nengine = \"embedded\"\npath = \"m.gguf\"\nthreads = 3\ngpu_layers = 9\nprompt_cache = false\n";
        for profile in parse(text).unwrap() {
            let written = toml::to_string(&profile).unwrap();
            let back: ModelProfile = toml::from_str(&written).unwrap();
            assert_eq!(back, profile, "{written}");
        }
    }
}
