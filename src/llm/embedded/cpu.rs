//! What this CPU can run, as far as llama.cpp's kernels care: the instruction sets the operating
//! system enables (AVX state saved on context switch, not only advertised in CPUID), and whether
//! the kernel grants AMX tiles to this process.

/// Instruction sets that decide which CPU backend runs, and the CPU's name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CpuFeatures {
    pub model: String,
    pub features: Vec<&'static str>,
    /// CPUID advertises AMX tiles.
    pub amx_advertised: bool,
    /// The kernel let this process use AMX (`arch_prctl(ARCH_REQ_XCOMP_PERM)` succeeded).
    pub amx_granted: bool,
}

impl CpuFeatures {
    /// `Intel Xeon … (SSE4.2 AVX AVX2 …; AMX advertised, refused by the kernel)`.
    pub fn describe(&self) -> String {
        let amx = match (self.amx_advertised, self.amx_granted) {
            (false, _) => "",
            (true, true) => "; AMX granted",
            (true, false) => "; AMX advertised, refused by the kernel",
        };
        let model = if self.model.is_empty() { "this CPU" } else { &self.model };
        format!("{model} ({}{amx})", self.features.join(" "))
    }
}

#[cfg(target_arch = "x86_64")]
pub fn detect() -> CpuFeatures {
    let amx_advertised = amx_advertised();
    let checks: [(&'static str, bool); 12] = [
        ("SSE4.2", std::is_x86_feature_detected!("sse4.2")),
        ("AVX", std::is_x86_feature_detected!("avx")),
        ("F16C", std::is_x86_feature_detected!("f16c")),
        ("FMA", std::is_x86_feature_detected!("fma")),
        ("AVX2", std::is_x86_feature_detected!("avx2")),
        ("BMI2", std::is_x86_feature_detected!("bmi2")),
        ("AVX-VNNI", std::is_x86_feature_detected!("avxvnni")),
        ("AVX512F", std::is_x86_feature_detected!("avx512f")),
        ("AVX512-VBMI", std::is_x86_feature_detected!("avx512vbmi")),
        ("AVX512-VNNI", std::is_x86_feature_detected!("avx512vnni")),
        ("AVX512-BF16", std::is_x86_feature_detected!("avx512bf16")),
        ("AMX-INT8", amx_advertised),
    ];
    CpuFeatures {
        model: model_name(),
        features: checks.iter().filter(|(_, on)| *on).map(|(name, _)| *name).collect(),
        amx_advertised,
        amx_granted: amx_advertised && amx_granted(),
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub fn detect() -> CpuFeatures {
    CpuFeatures {
        model: model_name(),
        ..CpuFeatures::default()
    }
}

/// CPUID leaf 7: EDX bit 24 is AMX-TILE, bit 25 AMX-INT8.
#[cfg(target_arch = "x86_64")]
fn amx_advertised() -> bool {
    // CPUID exists on every x86-64 CPU; leaf 0 says whether leaf 7 does.
    if std::arch::x86_64::__cpuid(0).eax < 7 {
        return false;
    }
    let leaf7 = std::arch::x86_64::__cpuid_count(7, 0);
    leaf7.edx & (1 << 24) != 0 && leaf7.edx & (1 << 25) != 0
}

/// Asks the kernel for the AMX tile state (XTILEDATA, feature 18). Linux refuses when the
/// hypervisor or kernel does not support it, whatever CPUID says; using AMX then kills the process.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn amx_granted() -> bool {
    const ARCH_REQ_XCOMP_PERM: libc::c_long = 0x1023;
    const XFEATURE_XTILEDATA: libc::c_long = 18;
    // SAFETY: arch_prctl with this request only changes the process's permitted state.
    unsafe { libc::syscall(libc::SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0 }
}

#[cfg(all(target_arch = "x86_64", not(target_os = "linux")))]
fn amx_granted() -> bool {
    false
}

fn model_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_features_and_amx_state() {
        let cpu = CpuFeatures {
            model: "Test CPU".into(),
            features: vec!["AVX", "AVX2"],
            amx_advertised: true,
            amx_granted: false,
        };
        assert_eq!(
            cpu.describe(),
            "Test CPU (AVX AVX2; AMX advertised, refused by the kernel)"
        );
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_list_says_what_the_cpu_and_os_enable() {
        let cpu = detect();
        assert_eq!(cpu.features.contains(&"AVX2"), std::is_x86_feature_detected!("avx2"));
        assert_eq!(
            cpu.features.contains(&"AVX512F"),
            std::is_x86_feature_detected!("avx512f")
        );
        assert_eq!(cpu.features.contains(&"AMX-INT8"), cpu.amx_advertised);
        assert!(!cpu.amx_granted || cpu.amx_advertised);
    }
}
