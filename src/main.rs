use clap::{CommandFactory, Parser};
use retort::cli::{Cli, Command, ModelsAction, TasksAction};
use retort::commands;
use retort::config::{Paths, init_logging};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let paths = Paths::from_env();
    let _log = init_logging(&paths);
    match run(cli, &paths) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            match e.downcast_ref::<commands::Failure>() {
                Some(failure) => std::process::ExitCode::from(failure.code),
                None => std::process::ExitCode::FAILURE,
            }
        }
    }
}

fn run(cli: Cli, paths: &Paths) -> anyhow::Result<()> {
    match cli.command {
        None => {
            let opening = match cli.file.as_deref() {
                Some(path) if path.as_os_str() == "-" => retort::tui::Opening::Stdin,
                Some(path) => retort::tui::Opening::File(path),
                None => retort::tui::Opening::Resume,
            };
            retort::tui::launch(paths, opening)
        }
        Some(Command::Eval(args)) => commands::eval(paths, args),
        Some(Command::Tasks { action }) => match action {
            None => commands::tasks(paths, None),
            Some(TasksAction::Show { name }) => commands::tasks(paths, Some(&name)),
            Some(TasksAction::New {
                name,
                fields,
                records,
                format,
                from,
                to,
            }) => commands::new_task(paths, &name, &fields, records, format, from.as_deref(), to.as_deref()),
            Some(TasksAction::Check { file, examples }) => commands::check_task(&file, examples.as_deref()),
        },
        Some(Command::Export(args)) => commands::export(paths, args),
        Some(Command::Import { task, files }) => commands::import(paths, &task, &files),
        Some(Command::Extract(args)) => commands::extract(paths, args),
        Some(Command::Review {
            file,
            options,
            summary,
            format,
        }) => {
            if summary {
                commands::review_summary(paths, &file, &options, format)
            } else {
                retort::tui::launch_review(paths, &file, &options)
            }
        }
        Some(Command::Models { action: None }) => commands::models(paths),
        Some(Command::Models {
            action: Some(ModelsAction::FetchDefault),
        }) => commands::fetch_default(paths),
        Some(Command::Models {
            action:
                Some(ModelsAction::Add {
                    name,
                    gguf,
                    base_url,
                    model,
                    mode,
                    task,
                }),
        }) => {
            let profile = match (gguf, base_url) {
                (Some(path), _) => retort::llm::ModelProfile::embedded(&name, &path, mode),
                (None, Some(url)) => {
                    retort::llm::ModelProfile::openai(&name, &url, model.as_deref().unwrap_or_default(), mode)
                }
                (None, None) => anyhow::bail!("give --gguf PATH or --base-url URL --model ID"),
            };
            commands::add_model(paths, retort::llm::ModelProfile { task, ..profile })
        }
        Some(Command::Models {
            action:
                Some(ModelsAction::Fetch {
                    url,
                    sha256,
                    name,
                    mode,
                }),
        }) => commands::fetch_model(paths, &url, sha256.as_deref(), name.as_deref(), mode),
        Some(Command::Curve(args)) => commands::curve(paths, args),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(shell, &mut Cli::command(), "retort", &mut std::io::stdout());
            Ok(())
        }
    }
}
