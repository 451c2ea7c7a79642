//! The trainers a GPU box runs, as Retort writes their configs: TRL's CLI (`trl sft|dpo
//! --config`, written for TRL 0.24: `ModelConfig`, `SFTConfig`/`DPOConfig`, and the dataset
//! mixture's `datasets:` list), axolotl (`axolotl train`, written for axolotl 0.12) and
//! LLaMA-Factory (`llamafactory-cli train`, written for LLaMA-Factory 0.9.3, reading the export's
//! `dataset_info.json`). Each trains a LoRA adapter into `output/` from the export in `data/`.
//! The configs use only keys those versions document; values are quoted as JSON strings, which
//! YAML reads as they are.

use crate::dataset::export::ExportStyle;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trainer {
    Trl,
    Axolotl,
    LlamaFactory,
    /// Retort's own script (`sft.py`: TRL's SFTTrainer with PEFT) on examples tokenized by the
    /// engine that serves the base: what `--backend local` runs, here or over ssh.
    Retort,
}

/// How to train: what `retort train start` was given.
#[derive(Debug, Clone)]
pub struct Recipe {
    pub trainer: Trainer,
    /// A Hugging Face model id or a directory on the training machine.
    pub base: String,
    pub dpo: bool,
    pub epochs: u32,
    pub lora_rank: u32,
    pub learning_rate: f64,
    pub seed: u64,
    /// LLaMA-Factory's chat template (`llama3`, `mistral`, `qwen`, …).
    pub template: Option<String>,
    /// Report a step every this many steps (the logs are read step by step).
    pub logging_steps: u32,
}

/// A LoRA recipe's numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecipeNumbers {
    pub epochs: u32,
    pub lora_rank: u32,
    pub learning_rate: f64,
}

/// What a trainer on a GPU runs when the command line says nothing: the usual LoRA recipe.
pub const GPU_DEFAULTS: RecipeNumbers = RecipeNumbers {
    epochs: 3,
    lora_rank: 16,
    learning_rate: 2e-4,
};

/// What the local backend runs when the command line says nothing: chosen by experiment on two
/// CPU cores (docs/training.md, "Training here"): a small model learns the task in two epochs at a high
/// rate, and rank 8 keeps the adapter a few MB without losing F1.
pub const LOCAL_DEFAULTS: RecipeNumbers = RecipeNumbers {
    epochs: 2,
    lora_rank: 8,
    learning_rate: 1e-3,
};

/// The files the config names, relative to the run's directory on the training machine.
pub struct Files {
    pub training: String,
    pub validation: Option<String>,
    /// The export's `dataset_info.json` names for LLaMA-Factory.
    pub training_name: String,
    pub validation_name: Option<String>,
}

pub const CONFIG_FILE: &str = "config.yaml";
/// Retort's trainer reads JSON.
pub const RETORT_CONFIG_FILE: &str = "config.json";
pub const OUTPUT_DIR: &str = "output";

impl Trainer {
    pub fn name(self) -> &'static str {
        match self {
            Trainer::Trl => "trl",
            Trainer::Axolotl => "axolotl",
            Trainer::LlamaFactory => "llama-factory",
            Trainer::Retort => "retort",
        }
    }

    /// The config file it reads, in the run's directory.
    pub fn config_file(self) -> &'static str {
        match self {
            Trainer::Retort => RETORT_CONFIG_FILE,
            Trainer::Trl | Trainer::Axolotl | Trainer::LlamaFactory => CONFIG_FILE,
        }
    }

    /// The export style it reads.
    pub fn style(self, dpo: bool) -> ExportStyle {
        match (self, dpo) {
            (Trainer::Trl, true) => ExportStyle::DpoTrl,
            _ => ExportStyle::Chat,
        }
    }

    /// Whether it can train preference pairs as Retort exports them.
    pub fn supports_dpo(self) -> bool {
        self == Trainer::Trl
    }

    /// The program and its arguments, run in the run's directory (`program` replaces the
    /// trainer's own command, e.g. a wrapper or a virtualenv's path).
    pub fn command(self, dpo: bool, program: Option<&str>) -> Vec<String> {
        let (default, args): (&str, Vec<&str>) = match self {
            Trainer::Trl => ("trl", vec![if dpo { "dpo" } else { "sft" }, "--config", CONFIG_FILE]),
            Trainer::Axolotl => ("axolotl", vec!["train", CONFIG_FILE]),
            Trainer::LlamaFactory => ("llamafactory-cli", vec!["train", CONFIG_FILE]),
            Trainer::Retort => ("python3", vec![super::local::SCRIPT_FILE, RETORT_CONFIG_FILE]),
        };
        std::iter::once(program.unwrap_or(default))
            .chain(args)
            .map(str::to_string)
            .collect()
    }
}

/// A string as YAML reads it (a JSON string is a YAML double-quoted scalar).
fn q(text: &str) -> String {
    serde_json::to_string(text).expect("a string serialises")
}

/// The trainer's config.
pub fn config(recipe: &Recipe, files: &Files) -> String {
    match recipe.trainer {
        Trainer::Trl => trl(recipe, files),
        Trainer::Axolotl => axolotl(recipe, files),
        Trainer::LlamaFactory => llama_factory(recipe, files),
        Trainer::Retort => super::local::config(recipe, files),
    }
}

fn header(recipe: &Recipe) -> String {
    format!(
        "# Written by Retort for {}; edit and run it again with the same command if you like.\n",
        match recipe.trainer {
            Trainer::Trl => "TRL 0.24 (trl sft|dpo --config config.yaml)",
            Trainer::Axolotl => "axolotl 0.12 (axolotl train config.yaml)",
            Trainer::LlamaFactory => "LLaMA-Factory 0.9.3 (llamafactory-cli train config.yaml)",
            Trainer::Retort => "Retort's sft.py",
        }
    )
}

fn trl(r: &Recipe, f: &Files) -> String {
    let mut out = header(r);
    out += &format!("model_name_or_path: {}\n", q(&r.base));
    out += "dtype: \"bfloat16\"\n";
    out += "use_peft: true\n";
    out += &format!(
        "lora_r: {}\nlora_alpha: {}\nlora_dropout: 0.05\n",
        r.lora_rank,
        r.lora_rank * 2
    );
    out += "lora_target_modules:\n  - \"all-linear\"\n";
    out += "datasets:\n";
    out += &format!(
        "  - path: \"json\"\n    data_files: {}\n    split: \"train\"\n",
        q(&f.training)
    );
    out += &format!("output_dir: {}\n", q(OUTPUT_DIR));
    out += &format!("num_train_epochs: {}\n", r.epochs);
    out += &format!("learning_rate: {}\n", r.learning_rate);
    out += "per_device_train_batch_size: 4\ngradient_accumulation_steps: 4\n";
    out += "lr_scheduler_type: \"cosine\"\nwarmup_ratio: 0.03\n";
    out += &format!("logging_steps: {}\n", r.logging_steps);
    out += "save_strategy: \"epoch\"\nreport_to: \"none\"\nbf16: true\n";
    out += &format!("seed: {}\n", r.seed);
    if r.dpo {
        out += "beta: 0.1\nmax_length: 4096\n";
    } else {
        out += "max_length: 4096\nassistant_only_loss: true\n";
    }
    out
}

fn axolotl(r: &Recipe, f: &Files) -> String {
    let dataset = |path: &str| {
        format!(
            "  - path: {}\n    ds_type: \"json\"\n    type: \"chat_template\"\n    field_messages: \"messages\"\n    split: \"train\"\n",
            q(path)
        )
    };
    let mut out = header(r);
    out += &format!("base_model: {}\n", q(&r.base));
    out += "chat_template: \"tokenizer_default\"\n";
    out += "datasets:\n";
    out += &dataset(&f.training);
    match &f.validation {
        Some(valid) => out += &format!("test_datasets:\n{}", dataset(valid)),
        None => out += "val_set_size: 0\n",
    }
    out += "dataset_prepared_path: \"prepared\"\n";
    out += &format!("output_dir: {}\n", q(OUTPUT_DIR));
    out += "adapter: \"lora\"\n";
    out += &format!(
        "lora_r: {}\nlora_alpha: {}\nlora_dropout: 0.05\n",
        r.lora_rank,
        r.lora_rank * 2
    );
    out += "lora_target_linear: true\n";
    out += "sequence_len: 4096\nsample_packing: false\n";
    out += "micro_batch_size: 4\ngradient_accumulation_steps: 4\n";
    out += &format!("num_epochs: {}\n", r.epochs);
    out += &format!("learning_rate: {}\n", r.learning_rate);
    out += "optimizer: \"adamw_torch\"\nlr_scheduler: \"cosine\"\nwarmup_ratio: 0.03\n";
    out += "bf16: \"auto\"\n";
    out += &format!("logging_steps: {}\n", r.logging_steps);
    out += "saves_per_epoch: 1\n";
    out += &format!("seed: {}\n", r.seed);
    out
}

fn llama_factory(r: &Recipe, f: &Files) -> String {
    let mut out = header(r);
    out += &format!("model_name_or_path: {}\n", q(&r.base));
    out += "stage: \"sft\"\ndo_train: true\nfinetuning_type: \"lora\"\n";
    out += &format!(
        "lora_rank: {}\nlora_alpha: {}\nlora_dropout: 0.05\n",
        r.lora_rank,
        r.lora_rank * 2
    );
    out += "lora_target: \"all\"\n";
    out += &format!("dataset: {}\n", q(&f.training_name));
    out += "dataset_dir: \"data\"\n";
    if let Some(valid) = &f.validation_name {
        out += &format!(
            "eval_dataset: {}\neval_strategy: \"epoch\"\nper_device_eval_batch_size: 4\n",
            q(valid)
        );
    }
    out += &format!("template: {}\n", q(r.template.as_deref().unwrap_or("default")));
    out += "cutoff_len: 4096\n";
    out += &format!("output_dir: {}\n", q(OUTPUT_DIR));
    out += &format!("logging_steps: {}\n", r.logging_steps);
    out += "save_strategy: \"epoch\"\nplot_loss: true\noverwrite_output_dir: true\n";
    out += "per_device_train_batch_size: 4\ngradient_accumulation_steps: 4\n";
    out += &format!("learning_rate: {}\n", r.learning_rate);
    out += &format!("num_train_epochs: {}.0\n", r.epochs);
    out += "lr_scheduler_type: \"cosine\"\nwarmup_ratio: 0.03\nbf16: true\nreport_to: \"none\"\n";
    out += &format!("seed: {}\n", r.seed);
    out
}

/// LLaMA-Factory's template for a base model, by its family; `None` when it cannot be told.
pub fn llama_factory_template(base: &str) -> Option<&'static str> {
    let name = base.to_lowercase();
    let families = [
        ("llama-3", "llama3"),
        ("llama3", "llama3"),
        ("llama-2", "llama2"),
        ("mistral", "mistral"),
        ("mixtral", "mistral"),
        ("qwen3", "qwen3"),
        ("qwen", "qwen"),
        ("gemma", "gemma"),
        ("phi-3", "phi"),
        ("smollm", "default"),
    ];
    families.iter().find(|(k, _)| name.contains(k)).map(|(_, t)| *t)
}
