//! `retort train` with the command backend, on a fake trainer that writes what TRL, axolotl and
//! LLaMA-Factory write (`tests/fixtures/train/fake-trainer`; no GPU here): the config written
//! for each trainer (golden files, every key one its pinned version documents), the trainer
//! started detached so it outlives Retort, progress read from its logs into metrics.jsonl, a
//! trainer that dies shown with its exit status and the end of its log, cancel stopping its
//! process group, a run over ssh (`RETORT_SSH`, a fake ssh running the script locally), and
//! registering the adapter on a serving profile.

use crate::common;

use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/train")
        .join(name)
}

fn with_examples() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::import(dir.path(), "compound", "chemsci2024/compound/train_10.csv");
    dir
}

fn train(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = common::retort_in(dir);
    command.arg("train").args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// Starts a run of `trainer` on the fake; its id.
fn start(dir: &Path, trainer: &str, extra: &[&str], env: &[(&str, &str)]) -> String {
    let program = fixture("fake-trainer");
    let mut args = vec![
        "start",
        "--backend",
        "command",
        "--task",
        "compound",
        "--trainer",
        trainer,
        "--base",
        "meta-llama/Meta-Llama-3-8B-Instruct",
        "--trainer-program",
        program.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = train(dir, &args, env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().last().unwrap().to_string()
}

fn run_json(dir: &Path, id: &str) -> Json {
    serde_json::from_str(&std::fs::read_to_string(dir.join("data/runs").join(id).join("run.json")).unwrap()).unwrap()
}

fn steps(dir: &Path, id: &str) -> Vec<u64> {
    common::read_jsonl(&dir.join("data/runs").join(id).join("metrics.jsonl"))
        .iter()
        .map(|m| m["step"].as_u64().unwrap())
        .collect()
}

/// Keys each trainer's pinned version documents (TRL 0.24's ModelConfig, SFTConfig, DPOConfig
/// and DatasetMixtureConfig; axolotl 0.12's config reference; LLaMA-Factory 0.9.3's arguments).
const TRL_KEYS: &[&str] = &[
    "model_name_or_path",
    "dtype",
    "use_peft",
    "lora_r",
    "lora_alpha",
    "lora_dropout",
    "lora_target_modules",
    "datasets",
    "output_dir",
    "num_train_epochs",
    "learning_rate",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "lr_scheduler_type",
    "warmup_ratio",
    "logging_steps",
    "save_strategy",
    "report_to",
    "bf16",
    "seed",
    "max_length",
    "assistant_only_loss",
    "beta",
];
const AXOLOTL_KEYS: &[&str] = &[
    "base_model",
    "chat_template",
    "datasets",
    "test_datasets",
    "val_set_size",
    "dataset_prepared_path",
    "output_dir",
    "adapter",
    "lora_r",
    "lora_alpha",
    "lora_dropout",
    "lora_target_linear",
    "sequence_len",
    "sample_packing",
    "micro_batch_size",
    "gradient_accumulation_steps",
    "num_epochs",
    "learning_rate",
    "optimizer",
    "lr_scheduler",
    "warmup_ratio",
    "bf16",
    "logging_steps",
    "saves_per_epoch",
    "seed",
];
const LLAMA_FACTORY_KEYS: &[&str] = &[
    "model_name_or_path",
    "stage",
    "do_train",
    "finetuning_type",
    "lora_rank",
    "lora_alpha",
    "lora_dropout",
    "lora_target",
    "dataset",
    "dataset_dir",
    "eval_dataset",
    "eval_strategy",
    "per_device_eval_batch_size",
    "template",
    "cutoff_len",
    "output_dir",
    "logging_steps",
    "save_strategy",
    "plot_loss",
    "overwrite_output_dir",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "learning_rate",
    "num_train_epochs",
    "lr_scheduler_type",
    "warmup_ratio",
    "bf16",
    "report_to",
    "seed",
];

fn top_keys(config: &str) -> Vec<String> {
    config
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(':'))
        .map(|l| l.split(':').next().unwrap().to_string())
        .collect()
}

/// Each trainer's config as written matches its golden file and uses only documented keys;
/// the fake trainer, which reads the data the config names, runs each to the end.
#[test]
fn each_trainer_gets_its_config_and_runs_to_its_adapter() {
    let dir = with_examples();
    let cases: [(&str, &[&str], &str, &[&str]); 4] = [
        ("trl", &["--split", "train=0.8,valid=0.2"], "trl-sft.yaml", TRL_KEYS),
        ("trl", &["--method", "dpo"], "trl-dpo.yaml", TRL_KEYS),
        (
            "axolotl",
            &["--split", "train=0.8,valid=0.2"],
            "axolotl.yaml",
            AXOLOTL_KEYS,
        ),
        (
            "llama-factory",
            &["--split", "train=0.8,valid=0.2"],
            "llama-factory.yaml",
            LLAMA_FACTORY_KEYS,
        ),
    ];
    for (trainer, extra, golden, keys) in cases {
        if extra.contains(&"dpo") {
            // Preference pairs need rejected answers: none are saved, so the export is empty.
            let program = fixture("fake-trainer");
            let out = train(
                dir.path(),
                &[
                    "start",
                    "--backend",
                    "command",
                    "--task",
                    "compound",
                    "--trainer",
                    "trl",
                    "--method",
                    "dpo",
                    "--base",
                    "m",
                    "--trainer-program",
                    program.to_str().unwrap(),
                ],
                &[],
            );
            assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
            assert!(
                text(&out.stderr).contains("0 training examples"),
                "{}",
                text(&out.stderr)
            );
            let config = retort::train::trainers::config(
                &retort::train::trainers::Recipe {
                    trainer: retort::train::trainers::Trainer::Trl,
                    base: "meta-llama/Meta-Llama-3-8B-Instruct".into(),
                    dpo: true,
                    epochs: 3,
                    lora_rank: 16,
                    learning_rate: 2e-4,
                    seed: 0,
                    template: None,
                    logging_steps: 1,
                },
                &retort::train::trainers::Files {
                    training: "data/train.dpo-trl.jsonl".into(),
                    validation: None,
                    training_name: "compound_train_dpo-trl".into(),
                    validation_name: None,
                },
            );
            check_config(&config, golden, keys);
            continue;
        }
        let id = start(dir.path(), trainer, extra, &[]);
        let config = std::fs::read_to_string(dir.path().join("data/runs").join(&id).join("config.yaml")).unwrap();
        check_config(&config, golden, keys);
        let out = train(dir.path(), &["watch", &id, "--interval", "0.05"], &[]);
        assert!(out.status.success(), "{trainer}: {}", text(&out.stderr));
        let run = run_json(dir.path(), &id);
        assert_eq!(run["status"], "succeeded", "{trainer}");
        assert_eq!(steps(dir.path(), &id), [1, 2, 3, 4, 5, 6], "{trainer}");
        assert_eq!(run["progress"]["total_steps"], 6, "{trainer}");
        assert_eq!(run["progress"]["train_loss"], 0.4167, "{trainer}");
        let adapter = PathBuf::from(run["fine_tuned_model"].as_str().unwrap());
        assert!(
            adapter.join("adapter_config.json").exists(),
            "{trainer}: {}",
            adapter.display()
        );
        // Each look read only what was new: the cursor ends at the logs' last whole lines.
        let run_dir = dir.path().join("data/runs").join(&id);
        let whole_lines = |path: PathBuf| {
            let bytes = std::fs::read(&path).unwrap();
            bytes.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1)
        };
        assert_eq!(
            run["read"]["train_log"],
            whole_lines(run_dir.join("train.log")),
            "{trainer}"
        );
        if trainer == "llama-factory" {
            let jsonl = run_dir.join("output/trainer_log.jsonl");
            assert_eq!(run["read"]["trainer_log"], whole_lines(jsonl), "{trainer}");
        } else {
            assert_eq!(run["read"]["reports"], 6, "{trainer}");
        }
    }
}

fn check_config(config: &str, golden: &str, keys: &[&str]) {
    let path = fixture("golden").join(golden);
    // Rewriting the golden files is for a person at a desk, never for CI (where a drift must fail).
    if std::env::var_os("RETORT_UPDATE_GOLDEN").is_some() && std::env::var_os("CI").is_none() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, config).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(config, expected, "{golden} (RETORT_UPDATE_GOLDEN=1 rewrites it)");
    for key in top_keys(config) {
        assert!(keys.contains(&key.as_str()), "{golden}: {key} is not a documented key");
    }
}

#[test]
fn the_trainer_outlives_retort_and_status_finds_it_again() {
    // LLaMA-Factory's lines carry their step; the Trainer's reports in TRL's log are counted
    // across looks.
    for trainer in ["llama-factory", "trl"] {
        outlives(trainer);
    }
}

fn outlives(trainer: &str) {
    let dir = with_examples();
    let slow = [("FAKE_TRAINER_STEP_SECONDS", "0.4")];
    let id = start(dir.path(), trainer, &[], &slow);
    // `start` has exited; the trainer goes on. A watch killed midway leaves it running too.
    let mut watch = common::retort_in(dir.path())
        .args(["train", "watch", &id, "--interval", "0.1"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(900));
    watch.kill().unwrap();
    watch.wait().unwrap();
    let out = train(dir.path(), &["status", &id, "--format", "json"], &[]);
    let rows: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["status"], "running", "{trainer}: {}", text(&out.stderr));
    let step = rows[0]["progress"]["step"].as_u64().unwrap();
    assert!((1..6).contains(&step), "{trainer} midway: {step}");
    let out = train(dir.path(), &["watch", &id, "--interval", "0.1"], &[]);
    assert!(out.status.success(), "{trainer}: {}", text(&out.stderr));
    assert_eq!(
        steps(dir.path(), &id),
        [1, 2, 3, 4, 5, 6],
        "{trainer}: each step once, across watches"
    );
}

#[test]
fn a_trainer_that_dies_shows_its_status_and_the_end_of_its_log() {
    let dir = with_examples();
    let id = start(dir.path(), "trl", &[], &[("FAKE_TRAINER_DIE_AT", "3")]);
    let out = train(dir.path(), &["watch", &id, "--interval", "0.05"], &[]);
    assert_eq!(out.status.code(), Some(7));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("exited with status 1"), "{stderr}");
    assert!(
        stderr.contains("torch.OutOfMemoryError: CUDA out of memory"),
        "{stderr}"
    );
    assert_eq!(steps(dir.path(), &id), [1, 2]);
}

#[test]
fn a_trainer_that_ends_well_without_an_adapter_has_failed() {
    let dir = with_examples();
    let id = start(dir.path(), "trl", &[], &[("FAKE_TRAINER_NO_ADAPTER", "1")]);
    let out = train(dir.path(), &["watch", &id, "--interval", "0.05"], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("wrote no adapter"), "{stderr}");
    assert_eq!(run_json(dir.path(), &id)["status"], "failed");
}

#[test]
fn cancel_stops_the_trainers_process_group() {
    let dir = with_examples();
    let id = start(dir.path(), "axolotl", &[], &[("FAKE_TRAINER_STEP_SECONDS", "5")]);
    let pid = run_json(dir.path(), &id)["pid"].as_u64().unwrap();
    let alive = |pid: u64| {
        std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success()
    };
    assert!(alive(pid));
    let out = train(dir.path(), &["cancel", &id], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!alive(pid), "the trainer was stopped");
    assert_eq!(run_json(dir.path(), &id)["status"], "cancelled");
    let out = train(dir.path(), &["watch", &id], &[]);
    assert_eq!(out.status.code(), Some(7));
}

#[test]
fn a_run_on_another_host_over_ssh_is_registered_on_its_vllm_server() {
    let dir = with_examples();
    let remote = tempfile::tempdir().unwrap();
    common::write_models(
        dir.path(),
        "[[model]]\nname = \"llama3-vllm\"\nengine = \"openai\"\nbase_url = \"http://gpu1:8000/v1\"\nmodel = \"meta-llama/Meta-Llama-3-8B-Instruct\"\nmode = \"zero-shot\"\n",
    );
    let ssh = fixture("fake-ssh");
    let env = [
        ("RETORT_SSH", ssh.to_str().unwrap()),
        ("FAKE_SSH_HOME", remote.path().to_str().unwrap()),
    ];
    let id = start(
        dir.path(),
        "trl",
        &["--host", "gpu1", "--base-profile", "llama3-vllm"],
        &env,
    );
    let workdir = remote.path().join("retort-runs").join(&id);
    assert!(
        workdir.join("config.yaml").exists() && workdir.join("data/train.chat.jsonl").exists(),
        "sent to the host"
    );
    let out = train(dir.path(), &["watch", &id, "--interval", "0.05", "--register"], &env);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let run = run_json(dir.path(), &id);
    assert_eq!(run["fine_tuned_model"], format!("gpu1:retort-runs/{id}/output"));
    assert!(workdir.join("output/adapter_config.json").exists());
    assert!(
        stderr.contains(&format!(
            "--lora-modules {}=retort-runs/{id}/output",
            run["profile"].as_str().unwrap()
        )),
        "{stderr}"
    );
    let models = std::fs::read_to_string(dir.path().join("config/models.toml")).unwrap();
    let name = run["profile"].as_str().unwrap();
    assert!(
        models.contains(&format!("name = \"{name}\"")) && models.contains(&format!("model = \"{name}\"")),
        "{models}"
    );
    assert!(
        models.contains("base_url = \"http://gpu1:8000/v1\"") && models.contains("mode = \"fine-tuned\""),
        "{models}"
    );
    assert!(
        std::fs::read_to_string(remote.path().join(".hosts"))
            .unwrap()
            .lines()
            .all(|h| h == "gpu1")
    );
}

#[test]
fn without_saved_examples_nothing_starts_and_no_run_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let program = fixture("fake-trainer");
    let out = train(
        dir.path(),
        &[
            "start",
            "--backend",
            "command",
            "--task",
            "compound",
            "--base",
            "m",
            "--trainer-program",
            program.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no saved examples for task compound"),
        "{}",
        text(&out.stderr)
    );
    let runs = dir.path().join("data/runs");
    assert_eq!(
        std::fs::read_dir(&runs).map(|d| d.count()).unwrap_or(0),
        0,
        "no run left behind"
    );
}
