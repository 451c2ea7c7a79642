// Standard error goes through `errln!` (control characters out), as in the library.
#![deny(clippy::print_stderr)]
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
        Err(_) if retort::stdout::reader_gone() => {
            tracing::info!("standard output's reader went away; stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!("{e:#}");
            retort::stdout::write_err(&format!("error: {e:#}\n"));
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
            retort::tui::launch(paths, opening).map_err(launch_error)
        }
        Some(Command::Eval(args)) => commands::eval(paths, args),
        Some(Command::Tasks { action }) => match action {
            None => commands::tasks(paths, None),
            Some(TasksAction::Show { name }) => commands::tasks(paths, Some(&name)),
            Some(TasksAction::New(args)) => commands::new_task(paths, args),
            Some(TasksAction::Check { file, examples }) => commands::check_task(&file, examples.as_deref()),
        },
        Some(Command::Export(args)) => commands::export(paths, args),
        Some(Command::Import(args)) => commands::import(paths, args),
        Some(Command::Ingest(args)) => commands::ingest(args),
        Some(Command::Extract(args)) => commands::extract(paths, args),
        Some(Command::Review(args)) => {
            if args.summary {
                commands::review_summary(paths, &args.file, &args.options, args.format)
            } else {
                retort::tui::launch_review(paths, &args.file, &args.options).map_err(launch_error)
            }
        }
        Some(Command::Models { action: None }) => commands::models(paths),
        Some(Command::Models {
            action: Some(ModelsAction::FetchDefault),
        }) => commands::fetch_default(paths),
        Some(Command::Models {
            action: Some(ModelsAction::Add(args)),
        }) => commands::add_model(paths, args),
        Some(Command::Models {
            action: Some(ModelsAction::Fetch(args)),
        }) => commands::fetch_model(paths, args),
        Some(Command::Curve(args)) => commands::curve(paths, args),
        Some(Command::Train { action }) => commands::train(paths, action),
        Some(Command::Batch { action }) => commands::batch(paths, action),
        Some(Command::Completions { shell }) => {
            // Into memory first: clap_complete panics on a failed write.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "retort", &mut script);
            Ok(retort::stdout::write(&String::from_utf8_lossy(&script))?)
        }
    }
}

/// A refusal with an exit status of its own stays a `Failure`, for the status.
fn launch_error(e: retort::tui::LaunchError) -> anyhow::Error {
    match e {
        retort::tui::LaunchError::Failure(failure) => failure.into(),
        other => other.into(),
    }
}
