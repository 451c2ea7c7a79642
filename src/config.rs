//! Where Retort keeps things: config (task files, models), data (saved examples) and state
//! (log, drafts). Each can be moved with an environment variable.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    pub config: PathBuf,
    pub data: PathBuf,
    pub state: PathBuf,
}

impl Paths {
    /// The platform's directories, overridden by `RETORT_CONFIG_DIR`, `RETORT_DATA_DIR` and
    /// `RETORT_STATE_DIR`.
    pub fn from_env() -> Paths {
        let dirs = directories::ProjectDirs::from("org", "retort", "retort");
        let fallback = || std::env::temp_dir().join("retort");
        let from = |var: &str, dir: Option<PathBuf>| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .or(dir)
                .unwrap_or_else(fallback)
        };
        Paths {
            config: from("RETORT_CONFIG_DIR", dirs.as_ref().map(|d| d.config_dir().to_path_buf())),
            data: from("RETORT_DATA_DIR", dirs.as_ref().map(|d| d.data_dir().to_path_buf())),
            state: from(
                "RETORT_STATE_DIR",
                dirs.as_ref()
                    .map(|d| d.state_dir().unwrap_or_else(|| d.data_local_dir()).to_path_buf()),
            ),
        }
    }

    /// Config, data and state in `config/`, `data/` and `state/` under `root` (tests, sandboxes).
    pub fn under(root: &std::path::Path) -> Paths {
        Paths {
            config: root.join("config"),
            data: root.join("data"),
            state: root.join("state"),
        }
    }

    /// User task files live here.
    pub fn tasks_dir(&self) -> PathBuf {
        self.config.join("tasks")
    }

    /// Saved examples, one JSONL file per task.
    pub fn examples_dir(&self) -> PathBuf {
        self.data.join("examples")
    }

    /// Review queues' decision logs and look-ahead runs.
    pub fn reviews_dir(&self) -> PathBuf {
        self.data.join("reviews")
    }

    /// GGUF models for the embedded engine.
    pub fn models_dir(&self) -> PathBuf {
        self.data.join("models")
    }
}

/// Where Retort's setup scripts install what it loads at run time (PDFium, the CUDA libraries):
/// `RETORT_CACHE_DIR`, or `retort` in the platform's cache directory (`~/.cache/retort`).
pub fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("RETORT_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.cache_dir().join("retort")))
}

/// Sends `tracing` output to the log file in the state directory (never to the terminal). The
/// guard must live as long as logging is wanted. Level from `RETORT_LOG` (default `info`).
pub fn init_logging(paths: &Paths) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    std::fs::create_dir_all(&paths.state).ok()?;
    let appender = tracing_appender::rolling::never(&paths.state, "retort.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("RETORT_LOG").unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

/// Wraps an I/O error so that it names what Retort was doing and the file: "writing
/// out.jsonl: No space left on device (os error 28)". The kind is kept.
pub fn io_at(doing: &str, path: &std::path::Path) -> impl FnOnce(std::io::Error) -> std::io::Error {
    let context = format!("{doing} {}", path.display());
    move |e| std::io::Error::new(e.kind(), format!("{context}: {e}"))
}
