//! Choosing llama.cpp's CPU code at run time. The build makes one CPU backend module per x86-64
//! level it is told to (`libggml-cpu-x64.so` … `libggml-cpu-cascadelake.so` by default; see
//! `build-support/ggml-cpu-variants.cmake`); each exports a score that is 0 when this CPU lacks one
//! of its instruction sets. The best-scoring module is loaded, so one
//! binary runs on any x86-64 CPU with the fastest kernels it has.
//!
//! AMX modules are opt-in (`RETORT_ALLOW_AMX=1`), and even then taken only when the kernel grants
//! AMX to the process. Some machines advertise AMX in CPUID and refuse it; on the Xeon VMs Retort
//! is developed on the kernel grants it, a small C program runs AMX tile instructions, and still
//! llama.cpp's AMX Q4_1 kernel dies there with SIGILL at `tileloadd`. The AVX-512 VNNI modules
//! are the fastest that are safe by default.

use super::cpu::{self, CpuFeatures};
use std::ffi::{CString, c_int};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the engine's code came from, for `retort models` and the inspector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendReport {
    pub dir: PathBuf,
    /// The CPU module loaded, e.g. `haswell`.
    pub cpu_variant: String,
    pub score: i32,
    pub cpu: CpuFeatures,
    /// The GPU module's devices, or why there are none.
    pub gpu: super::gpu::GpuStatus,
    /// CPU modules passed over, with why (score 0, or AMX refused).
    pub passed_over: Vec<String>,
}

impl BackendReport {
    /// One line: `CPU backend haswell for <CPU> (AVX2 FMA …); GPU: …; from DIR`.
    pub fn summary(&self) -> String {
        format!(
            "CPU backend {} for {}; GPU: {}; from {}",
            self.cpu_variant,
            self.cpu.describe(),
            self.gpu.describe(),
            self.dir.display()
        )
    }
}

/// Why the engine has no CPU backend.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    #[error(
        "no llama.cpp CPU backend (libggml-cpu-*.so) found; looked in {}. Put the files that the build left beside the binary next to it (or in ../lib/retort), or set RETORT_BACKENDS_DIR to their directory; HTTP profiles work without them",
        searched.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NotFound { searched: Vec<PathBuf> },
    #[error("RETORT_CPU_VARIANT={variant}: no such CPU backend in {} that this CPU runs ({cpu})", dir.display())]
    ForcedVariantUnusable { variant: String, dir: PathBuf, cpu: String },
    #[error("no CPU backend in {} runs on this CPU ({cpu}); rebuild retort on this machine", dir.display())]
    NoneRuns { dir: PathBuf, cpu: String },
    #[error("cannot load {}: {reason}", path.display())]
    Load { path: PathBuf, reason: String },
}

static LOADED: OnceLock<Result<BackendReport, BackendError>> = OnceLock::new();

/// Loads the backend modules once per process and says what was loaded (or why nothing was).
pub fn ensure_loaded() -> Result<&'static BackendReport, BackendError> {
    LOADED.get_or_init(load).as_ref().map_err(Clone::clone)
}

/// What `ensure_loaded` found, if it ran.
pub fn loaded() -> Option<&'static BackendReport> {
    LOADED.get().and_then(|r| r.as_ref().ok())
}

fn load() -> Result<BackendReport, BackendError> {
    // llama.cpp logs to stderr unless told otherwise; in the workbench stderr is the screen.
    llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
    let searched = search_dirs();
    let Some(dir) = searched.iter().find(|d| !cpu_modules(d).is_empty()).cloned() else {
        return Err(BackendError::NotFound { searched });
    };
    let cpu = cpu::detect();
    let choice = choose(&dir, &cpu)?;
    register(&choice.path)?;
    let gpu = super::gpu::load(&dir, |module| register(module).map_err(|e| e.to_string()));
    load_other_modules(&dir);
    tracing::info!(
        "embedded engine: CPU backend {} (score {}) from {}; passed over: {}; GPU: {}",
        choice.variant,
        choice.score,
        dir.display(),
        choice.passed_over.join(", "),
        gpu.describe()
    );
    Ok(BackendReport {
        dir,
        cpu_variant: choice.variant,
        score: choice.score,
        cpu,
        gpu,
        passed_over: choice.passed_over,
    })
}

/// Where backend modules are looked for: only `RETORT_BACKENDS_DIR` when it is set; otherwise
/// beside the binary, `../lib/retort` from the binary (an installed layout), then where the build
/// put them.
pub fn search_dirs() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os("RETORT_BACKENDS_DIR") {
        return vec![PathBuf::from(dir)];
    }
    let mut dirs = Vec::new();
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        let installed = exe_dir.join("../lib/retort");
        dirs.push(exe_dir);
        dirs.push(installed);
    }
    if let Some(built) = llama_cpp_sys_2::BACKENDS_DIR {
        dirs.push(PathBuf::from(built));
    }
    dirs
}

const CPU_PREFIX: &str = "libggml-cpu-";

/// The CPU backend modules in `dir`, as (variant name, path), sorted by name.
fn cpu_modules(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut modules: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let variant = name.strip_prefix(CPU_PREFIX)?.strip_suffix(".so")?.to_string();
            Some((variant, e.path()))
        })
        .collect();
    modules.sort();
    modules
}

struct Choice {
    variant: String,
    path: PathBuf,
    score: i32,
    passed_over: Vec<String>,
}

fn amx_allowed() -> bool {
    std::env::var("RETORT_ALLOW_AMX").is_ok_and(|v| v == "1")
}

/// Variants whose code uses AMX tiles.
fn uses_amx(variant: &str) -> bool {
    variant.contains("sapphirerapids") || variant.contains("amx")
}

fn choose(dir: &Path, cpu: &CpuFeatures) -> Result<Choice, BackendError> {
    let forced = std::env::var("RETORT_CPU_VARIANT").ok().filter(|v| !v.is_empty());
    let mut best: Option<Choice> = None;
    let mut passed_over = Vec::new();
    for (variant, path) in cpu_modules(dir) {
        if forced.as_ref().is_some_and(|f| *f != variant) {
            continue;
        }
        let score = module_score(&path)?;
        if score == 0 {
            passed_over.push(format!("{variant} (needs instructions this CPU lacks)"));
            continue;
        }
        if uses_amx(&variant) && !amx_allowed() {
            passed_over.push(format!("{variant} (AMX is opt-in: RETORT_ALLOW_AMX=1)"));
            continue;
        }
        if uses_amx(&variant) && !cpu.amx_granted {
            passed_over.push(format!("{variant} (AMX not granted by the kernel)"));
            continue;
        }
        if best.as_ref().is_none_or(|b| score > b.score) {
            if let Some(previous) = best.take() {
                passed_over.push(format!("{} (score {})", previous.variant, previous.score));
            }
            best = Some(Choice {
                variant,
                path,
                score,
                passed_over: Vec::new(),
            });
        } else {
            passed_over.push(format!("{variant} (score {score})"));
        }
    }
    let mut choice = best.ok_or_else(|| match &forced {
        Some(variant) => BackendError::ForcedVariantUnusable {
            variant: variant.clone(),
            dir: dir.to_path_buf(),
            cpu: cpu.describe(),
        },
        None => BackendError::NoneRuns {
            dir: dir.to_path_buf(),
            cpu: cpu.describe(),
        },
    })?;
    choice.passed_over = passed_over;
    Ok(choice)
}

/// The module's own verdict on this CPU. Loading a module for scoring is safe on any CPU: its
/// score function is compiled without the module's instruction sets (as llama.cpp's own loader
/// relies on).
fn module_score(path: &Path) -> Result<i32, BackendError> {
    let fail = |e: libloading::Error| BackendError::Load {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    // SAFETY: a ggml backend module; `ggml_backend_score` takes nothing and returns an int.
    unsafe {
        let library = libloading::Library::new(path).map_err(fail)?;
        let score = library
            .get::<unsafe extern "C" fn() -> c_int>(b"ggml_backend_score\0")
            .map_err(fail)?;
        Ok(score())
    }
}

fn register(path: &Path) -> Result<(), BackendError> {
    let fail = |reason: String| BackendError::Load {
        path: path.to_path_buf(),
        reason,
    };
    let c_path = CString::new(path.to_string_lossy().as_bytes()).map_err(|e| fail(e.to_string()))?;
    // SAFETY: a NUL-terminated path; ggml keeps the module loaded for the life of the process.
    let registered = unsafe { llama_cpp_sys_2::ggml_backend_load(c_path.as_ptr()) };
    if registered.is_null() {
        return Err(fail("llama.cpp refused the module".into()));
    }
    Ok(())
}

/// Loads other non-CPU modules found beside the CPU ones (not the GPU module, which `gpu` loads
/// with its libraries); a module that finds no device registers nothing useful and costs nothing.
fn load_other_modules(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_module = name.starts_with("libggml-") && name.ends_with(".so");
        let known = name.starts_with(CPU_PREFIX) || name == "libggml-base.so" || name == super::gpu::MODULE;
        if is_module && !known && register(&entry.path()).is_err() {
            tracing::warn!("backend module {name} did not load");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amx_variants_are_recognised() {
        assert!(uses_amx("sapphirerapids"));
        assert!(!uses_amx("icelake"));
        assert!(!uses_amx("haswell"));
    }

    #[test]
    fn a_directory_without_modules_has_none() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("libggml-base.so"), b"").unwrap();
        std::fs::write(dir.path().join("libggml-cpu-haswell.so"), b"").unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"").unwrap();
        let modules = cpu_modules(dir.path());
        assert_eq!(modules.len(), 1);
        assert_eq!(modules[0].0, "haswell");
        assert!(cpu_modules(&dir.path().join("absent")).is_empty());
    }

    #[test]
    fn the_build_leaves_modules_where_the_search_finds_them() {
        let found = search_dirs().iter().any(|d| !cpu_modules(d).is_empty());
        assert!(found, "no CPU backend module in {:?}", search_dirs());
    }
}
