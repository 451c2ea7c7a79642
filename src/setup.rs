//! What both drivers load from the config directory before anything else: the tasks (built-in
//! and `<config>/tasks/*.toml`) and the model profiles (shipped and `<config>/models.toml`), with
//! every problem found on the way. A problem never stops loading: the broken file is skipped or
//! the defaults stand, and the driver reports all problems (the CLI on stderr, the workbench in
//! its status bar).

use crate::config::Paths;
use crate::llm::Profiles;
use crate::task::Registry;

pub struct Setup {
    pub registry: Registry,
    pub profiles: Profiles,
    /// Each problem as one line naming its file.
    pub problems: Vec<String>,
}

impl Setup {
    pub fn load(paths: &Paths) -> Setup {
        let registry = Registry::load(Some(&paths.tasks_dir()));
        let profiles = Profiles::load(&paths.config).resolve_paths(&paths.models_dir());
        let mut problems: Vec<String> = registry
            .errors
            .iter()
            .map(|e| format!("task file skipped: {e}"))
            .collect();
        problems.extend(profiles.problems.iter().cloned());
        // The adapters shipped for the default model, once it is there (fetched by an older Retort).
        let installed = crate::llm::shipped::install(&paths.models_dir(), &|step| tracing::info!("{step}"));
        problems.extend(installed.err());
        for problem in &problems {
            tracing::warn!("{problem}");
        }
        Setup {
            registry,
            profiles,
            problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_collected_and_loading_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        std::fs::create_dir_all(paths.tasks_dir()).unwrap();
        std::fs::write(paths.tasks_dir().join("broken.toml"), "name = [").unwrap();
        std::fs::write(paths.config.join("models.toml"), "[[model]]\nname = 1\n").unwrap();
        let setup = Setup::load(&paths);
        assert_eq!(setup.problems.len(), 2, "{:?}", setup.problems);
        assert!(setup.problems[0].contains("broken.toml"));
        assert!(setup.problems[1].contains("models.toml"));
        assert!(setup.registry.get("compound").is_some());
        assert!(setup.profiles.get("local-llamacpp").is_some());
    }
}
