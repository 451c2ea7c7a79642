//! The GPU backend module (`libggml-cuda.so`, built by `scripts/build-cuda.sh`), loaded beside the
//! CPU module when it is there. Its libraries (the CUDA runtime and cuBLAS) are found beside the
//! binary, in `RETORT_CUDA_LIBS`, in the CUDA wheels' cache (`~/.cache/retort/cuda`), or on the
//! system; the NVIDIA driver only on the system. Whatever is missing — the module, a library, the
//! driver, a GPU — is said in one line, and the engine runs on the CPU module: the same binary
//! serves a laptop and a GPU box.

use std::ffi::{CStr, c_char, c_int};
use std::path::{Path, PathBuf};

/// What the GPU side of the engine came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuStatus {
    /// This build has no GPU module (the default build; `scripts/build-cuda.sh` makes one).
    NotBuilt,
    /// The module is there and cannot be used: why, and what to do.
    Unavailable(String),
    /// GPUs llama.cpp found: name, description, free and total memory in bytes.
    Devices(Vec<Device>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    pub description: String,
    pub free: usize,
    pub total: usize,
}

impl GpuStatus {
    /// One line for `retort models` and the inspector.
    pub fn describe(&self) -> String {
        match self {
            GpuStatus::NotBuilt => "none (a CPU build; scripts/build-cuda.sh builds the CUDA backend)".into(),
            GpuStatus::Unavailable(why) => format!("none: {why}; running on the CPU"),
            GpuStatus::Devices(devices) => devices
                .iter()
                .map(|d| {
                    format!(
                        "{} ({}, {:.1} GiB, {:.1} GiB free)",
                        d.name,
                        d.description,
                        gib(d.total),
                        gib(d.free)
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

fn gib(bytes: usize) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

pub const MODULE: &str = "libggml-cuda.so";
/// The CUDA 13 libraries the module needs, in the order they depend on each other.
const LIBRARIES: [&str; 3] = ["libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13"];

/// Where the CUDA libraries are looked for before the system's own search.
fn library_dirs(modules: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![modules.to_path_buf()];
    if let Some(named) = std::env::var_os("RETORT_CUDA_LIBS") {
        dirs.extend(std::env::split_paths(&named));
    }
    if let Some(cache) = crate::config::cache_dir() {
        dirs.push(cache.join("cuda/nvidia/cu13/lib"));
    }
    dirs
}

/// Opens the CUDA libraries for the whole process (so the module's own references find them);
/// the first one that cannot be found is the error.
fn open_libraries(modules: &Path) -> Result<(), String> {
    let dirs = library_dirs(modules);
    for name in LIBRARIES {
        let path = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file());
        let target = path.clone().unwrap_or_else(|| PathBuf::from(name));
        // SAFETY: NVIDIA's libraries; their initialisers only set up their own state.
        let opened = unsafe {
            libloading::os::unix::Library::open(
                Some(&target),
                libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL,
            )
        };
        match opened {
            // Kept for the life of the process, as the module that needs them.
            Ok(library) => std::mem::forget(library),
            Err(e) => {
                return Err(format!(
                    "{name} is not found ({e}); scripts/build-cuda.sh installs the CUDA libraries into ~/.cache/retort/cuda, or set RETORT_CUDA_LIBS to their directory"
                ));
            }
        }
    }
    Ok(())
}

/// The CUDA runtime's own answer to "how many GPUs": its error, in its words, when none.
fn runtime_devices() -> Result<c_int, String> {
    // SAFETY: libcudart was opened by `open_libraries`; the two functions are its C API.
    unsafe {
        let library = libloading::Library::new(LIBRARIES[0]).map_err(|e| e.to_string())?;
        let count = library
            .get::<unsafe extern "C" fn(*mut c_int) -> c_int>(b"cudaGetDeviceCount\0")
            .map_err(|e| e.to_string())?;
        let say = library
            .get::<unsafe extern "C" fn(c_int) -> *const c_char>(b"cudaGetErrorString\0")
            .map_err(|e| e.to_string())?;
        let mut n: c_int = 0;
        match count(&mut n) {
            0 => Ok(n),
            code => {
                let text = say(code);
                let text = if text.is_null() {
                    format!("error {code}")
                } else {
                    CStr::from_ptr(text).to_string_lossy().into_owned()
                };
                Err(text)
            }
        }
    }
}

/// Whether `dir` holds the GPU module, and if so whether it can run here. `register` registers a
/// module with llama.cpp (the caller's, shared with the CPU modules).
pub fn load(dir: &Path, register: impl Fn(&Path) -> Result<(), String>) -> GpuStatus {
    let module = dir.join(MODULE);
    if !module.is_file() {
        return GpuStatus::NotBuilt;
    }
    if let Err(why) = open_libraries(dir) {
        return GpuStatus::Unavailable(why);
    }
    match runtime_devices() {
        Ok(0) => return GpuStatus::Unavailable("the CUDA runtime found no GPU".into()),
        Ok(_) => {}
        Err(why) => {
            let hint = if why.contains("driver") {
                " (no NVIDIA driver, or one older than CUDA 13 needs)"
            } else {
                ""
            };
            return GpuStatus::Unavailable(format!("CUDA says: {why}{hint}"));
        }
    }
    // SAFETY: a ggml backend module; opening it first gives the loader's own error message.
    if let Err(e) = unsafe { libloading::Library::new(&module) } {
        return GpuStatus::Unavailable(format!("{} cannot be loaded: {e}", module.display()));
    }
    if let Err(why) = register(&module) {
        return GpuStatus::Unavailable(why);
    }
    GpuStatus::Devices(devices())
}

/// The GPUs llama.cpp's registry holds, with their memory.
fn devices() -> Vec<Device> {
    let text = |p: *const c_char| {
        if p.is_null() {
            String::new()
        } else {
            // SAFETY: ggml returns NUL-terminated strings it owns for the process's life.
            unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
        }
    };
    // SAFETY: plain queries of ggml's device registry.
    unsafe {
        (0..llama_cpp_sys_2::ggml_backend_dev_count())
            .map(|i| llama_cpp_sys_2::ggml_backend_dev_get(i))
            .filter(|d| llama_cpp_sys_2::ggml_backend_dev_type(*d) == llama_cpp_sys_2::GGML_BACKEND_DEVICE_TYPE_GPU)
            .map(|d| {
                let (mut free, mut total) = (0usize, 0usize);
                llama_cpp_sys_2::ggml_backend_dev_memory(d, &mut free, &mut total);
                Device {
                    name: text(llama_cpp_sys_2::ggml_backend_dev_name(d)),
                    description: text(llama_cpp_sys_2::ggml_backend_dev_description(d)),
                    free,
                    total,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_module_is_a_cpu_build() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path(), |_| Ok(())), GpuStatus::NotBuilt);
    }

    #[test]
    fn a_module_without_its_libraries_says_which_and_how_to_get_them() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MODULE), b"not really a module").unwrap();
        let status = load(dir.path(), |_| Ok(()));
        match &status {
            // On a machine with CUDA 13's runtime installed the runtime answers instead.
            GpuStatus::Unavailable(why) => assert!(
                why.contains("libcudart.so.13") || why.contains("CUDA") || why.contains("cannot be loaded"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
        assert!(status.describe().ends_with("running on the CPU"));
    }

    #[test]
    fn devices_are_described_with_their_memory() {
        let status = GpuStatus::Devices(vec![Device {
            name: "CUDA0".into(),
            description: "NVIDIA A100-SXM4-80GB".into(),
            free: 80 << 30,
            total: 85 << 30,
        }]);
        assert_eq!(
            status.describe(),
            "CUDA0 (NVIDIA A100-SXM4-80GB, 85.0 GiB, 80.0 GiB free)"
        );
    }
}
