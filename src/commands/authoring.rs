//! `retort tasks new` and `retort tasks check`.

use super::{Failure, config_error, exit};
use crate::authoring::{check, scaffold};
use crate::config::Paths;
use crate::stdout::outln;
use anyhow::Result;
use std::path::Path;

pub fn new_task(paths: &Paths, args: crate::cli::NewTaskArgs) -> Result<()> {
    let crate::cli::NewTaskArgs {
        name,
        fields,
        records,
        format,
        from,
        to,
    } = args;
    let (name, from, to) = (name.as_str(), from.as_deref(), to.as_deref());
    if !crate::task::is_task_name(name) {
        return Err(config_error(format!(
            "{:?} is not a task name: use letters, digits, `-` and `_` (it names the file <config>/tasks/NAME.toml)",
            crate::foreign::one_line(name, 80)
        )));
    }
    let (fields, records) = match from {
        Some(file) => scaffold::fields_from(file).map_err(config_error)?,
        None => (
            fields
                .iter()
                .map(|f| scaffold::parse_field(f))
                .collect::<Result<Vec<_>, _>>()
                .map_err(config_error)?,
            records,
        ),
    };
    let spec = scaffold::NewTask {
        name: name.to_string(),
        fields,
        records,
        format,
    };
    let text = scaffold::write(&spec).map_err(config_error)?;
    let target = to.map_or_else(
        || paths.config.join("tasks").join(format!("{name}.toml")),
        Path::to_path_buf,
    );
    if target.exists() {
        return Err(config_error(format!(
            "{} exists; choose another name or --to",
            target.display()
        )));
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::atomic::write(&target, text)?;
    crate::stdout::errln!(
        "wrote {}; check it with `retort tasks check {}` and pick it with `t` in the workbench or --task {name}",
        target.display(),
        target.display()
    );
    Ok(())
}

pub fn check_task(file: &Path, examples: Option<&Path>) -> Result<()> {
    let (task, mut problems) = check::task_file(file);
    if let (Some(task), Some(examples)) = (&task, examples) {
        problems.extend(check::examples(task, examples));
    }
    for problem in &problems {
        outln!("{problem}")?;
    }
    if problems.is_empty() {
        crate::stdout::errln!("{}: no problems", file.display());
        return Ok(());
    }
    Err(Failure {
        code: exit::CONFIG,
        message: format!("{} problem(s)", problems.len()),
    }
    .into())
}
