# Included by llama.cpp's ggml project (CMAKE_PROJECT_ggml_INCLUDE, set in .cargo/config.toml) to
# build only the CPU backend variants Retort ships, instead of all fourteen x86-64 levels of
# GGML_CPU_ALL_VARIANTS. The list is measured in ARCHITECTURE.md ("The embedded engine's CPU
# code"); override it with RETORT_CPU_VARIANTS="x64;haswell;…" (then `cargo clean -p
# llama-cpp-sys-2`), or "all" for every one.
#
# How: ggml defines ggml_add_cpu_backend_variant_impl() (which creates the ggml-cpu-<tag>
# module) and then calls it once per variant, after setting GGML_CPU_TAG_NAME. The first time that
# variable is set, the watch below wraps the function (CMake keeps the original as
# _ggml_add_cpu_backend_variant_impl) so that tags not in the list are skipped.

if (DEFINED ENV{RETORT_CPU_VARIANTS})
  set(RETORT_CPU_VARIANTS "$ENV{RETORT_CPU_VARIANTS}")
else()
  # x64: any x86-64 CPU. haswell: AVX2 (most laptops, EPYC Rome and Milan, and AVX-512 CPUs
  # without VNNI, where skylakex measured no faster). alderlake: AVX-VNNI without AVX-512.
  # cascadelake: AVX-512 VNNI (Cascade Lake, Ice Lake, Sapphire Rapids, Zen 4 and 5). sse42 and
  # skylakex are no longer built: each cost a sixth of llama.cpp's build for a gain within noise
  # (skylakex) or 14 % of prompt speed on CPUs from before 2011 (sse42; README).
  set(RETORT_CPU_VARIANTS x64 haswell alderlake cascadelake)
endif()

if (NOT RETORT_CPU_VARIANTS STREQUAL "all")
  macro(retort_wrap_cpu_variants variable access value)
    get_property(retort_wrapped GLOBAL PROPERTY RETORT_CPU_VARIANTS_WRAPPED)
    if (NOT retort_wrapped AND COMMAND ggml_add_cpu_backend_variant_impl)
      set_property(GLOBAL PROPERTY RETORT_CPU_VARIANTS_WRAPPED ON)
      function(ggml_add_cpu_backend_variant_impl tag_name)
        if (tag_name IN_LIST RETORT_CPU_VARIANTS)
          _ggml_add_cpu_backend_variant_impl(${tag_name})
        else()
          message(STATUS "Retort: CPU backend variant ${tag_name} not built")
        endif()
      endfunction()
    endif()
  endmacro()
  variable_watch(GGML_CPU_TAG_NAME retort_wrap_cpu_variants)
endif()
