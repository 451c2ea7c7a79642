//! The built-in tasks, embedded from `builtin/*.toml` (the same shape as user task files).

pub const FILES: &[(&str, &str)] = &[
    ("compound", include_str!("builtin/compound.toml")),
    ("rxn-product", include_str!("builtin/rxn-product.toml")),
    ("rxn-role", include_str!("builtin/rxn-role.toml")),
    ("mof-synthesis", include_str!("builtin/mof-synthesis.toml")),
    ("nmr", include_str!("builtin/nmr.toml")),
    ("action", include_str!("builtin/action.toml")),
    ("doping-eng", include_str!("builtin/doping-eng.toml")),
    ("doping-engextra", include_str!("builtin/doping-engextra.toml")),
    ("doping-json", include_str!("builtin/doping-json.toml")),
    ("general-materials", include_str!("builtin/general-materials.toml")),
    ("mof-nerre", include_str!("builtin/mof-nerre.toml")),
];

#[cfg(test)]
mod tests {
    use super::super::Registry;

    #[test]
    fn every_builtin_loads_with_its_file_name() {
        let registry = Registry::builtin();
        assert_eq!(registry.tasks.len(), super::FILES.len());
        for (name, _) in super::FILES {
            assert!(registry.get(name).is_some(), "{name}");
        }
    }
}
