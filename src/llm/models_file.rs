//! Adding a profile to the user's `models.toml` without disturbing what is there: comments,
//! order and formatting are kept (toml_edit), and the result must load as profiles.

use super::profile::{ModelProfile, parse};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ModelsFileError {
    #[error("{path}: {message}")]
    Broken { path: String, message: String },
    #[error("a profile named {0:?} is already in models.toml; choose another with --name")]
    Taken(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Unprintable(#[from] crate::foreign::Unprintable),
}

/// Appends `profile` as a `[[model]]` table to `<config_dir>/models.toml` (created if absent).
pub fn add_profile(config_dir: &Path, profile: &ModelProfile) -> Result<(), ModelsFileError> {
    let path = config_dir.join("models.toml");
    let shown = path.display().to_string();
    let io = |source| ModelsFileError::Io {
        path: shown.clone(),
        source,
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    let updated = with_profile(&text, profile).map_err(|e| match e {
        ModelsFileError::Broken { message, .. } => ModelsFileError::Broken {
            path: shown.clone(),
            message,
        },
        other => other,
    })?;
    std::fs::create_dir_all(config_dir).map_err(io)?;
    crate::atomic::write(&path, updated).map_err(io)
}

/// `text` with `profile` appended; an error if the file is broken or the name is taken.
pub fn with_profile(text: &str, profile: &ModelProfile) -> Result<String, ModelsFileError> {
    let broken = |message: String| ModelsFileError::Broken {
        path: "models.toml".into(),
        message,
    };
    // What a profile names may have come from a server (a fine-tuned model's id): it is stored
    // only when it holds no control character.
    crate::foreign::plain(&profile.name, "the profile's name")?;
    crate::foreign::plain(&profile.model, "the model id")?;
    for url in profile.endpoints() {
        crate::foreign::plain(&url, "the server's URL")?;
    }
    let existing = parse(text).map_err(|e| broken(e.to_string()))?;
    if existing.iter().any(|p| p.name == profile.name) {
        return Err(ModelsFileError::Taken(profile.name.clone()));
    }
    let mut document: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| broken(e.to_string()))?;
    let table = toml_edit::ser::to_document(profile)
        .map_err(|e| broken(e.to_string()))?
        .as_table()
        .clone();
    let models = document
        .entry("model")
        .or_insert_with(|| toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()));
    let Some(array) = models.as_array_of_tables_mut() else {
        return Err(broken("`model` is not an array of [[model]] tables".into()));
    };
    array.push(table);
    let updated = document.to_string();
    parse(&updated).map_err(|e| broken(e.to_string()))?;
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::profile::Profiles;

    fn embedded(name: &str) -> ModelProfile {
        ModelProfile::embedded(
            name,
            Path::new("/models/mistral.gguf"),
            crate::llm::profile::Mode::FewShot,
        )
    }

    #[test]
    fn comments_and_order_survive_and_the_profile_loads() {
        let text = "# my servers\n[[model]]\nname = \"lab\"   # the lab box\nengine = \"openai\"\nbase_url = \"http://lab:8000/v1\"\n";
        let updated = with_profile(text, &embedded("mistral")).unwrap();
        assert!(updated.starts_with(text), "{updated}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("models.toml"), &updated).unwrap();
        let profiles = Profiles::load(dir.path());
        assert!(profiles.problems.is_empty(), "{:?}", profiles.problems);
        let added = profiles.get("mistral").unwrap();
        assert_eq!(added.gguf(), Some(Path::new("/models/mistral.gguf")));
    }

    #[test]
    fn a_taken_name_or_a_broken_file_is_refused() {
        let text = "[[model]]\nname = \"mistral\"\nengine = \"embedded\"\npath = \"a.gguf\"\n";
        assert!(matches!(
            with_profile(text, &embedded("mistral")),
            Err(ModelsFileError::Taken(_))
        ));
        assert!(matches!(
            with_profile("[[model]\n", &embedded("m")),
            Err(ModelsFileError::Broken { .. })
        ));
        let dir = tempfile::tempdir().unwrap();
        add_profile(dir.path(), &embedded("first")).unwrap();
        add_profile(dir.path(), &embedded("second")).unwrap();
        let profiles = Profiles::load(dir.path());
        assert!(profiles.get("first").is_some() && profiles.get("second").is_some());
    }
}
