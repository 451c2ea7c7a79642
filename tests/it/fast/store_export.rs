//! The example store on real files: appends never truncate, torn lines are skipped, exports are
//! valid fine-tuning JSONL; user task files with errors are named, the rest still load.

use crate::common;

use retort::clock::now;
use retort::dataset::export::{ExportStyle, export_line, export_saved, write_export};
use retort::dataset::store::{SavedExample, Store, new_id};
use retort::task::Registry;
use std::io::Write;

fn example(task: &str, paragraph: &str, answer: &str) -> SavedExample {
    let registry = Registry::builtin();
    let t = registry.get(task).unwrap();
    SavedExample {
        id: new_id(),
        task: task.into(),
        paragraph: paragraph.into(),
        answer: answer.into(),
        extraction: t.parse_grounded(answer, paragraph).unwrap(),
        runs: vec![serde_json::json!({"model": "test", "raw": answer})],
        saved_at: now(),
        provenance: "test".into(),
        source_id: None,
    }
}

#[test]
fn appends_keep_earlier_lines_and_skip_a_torn_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let first = example("compound", "Ethanol and THF were mixed.", "Ethanol | THF");
    store.append(&first).unwrap();
    // A crash mid-write leaves half a line without its newline.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(store.path("compound"))
        .unwrap();
    file.write_all(b"{\"id\": \"torn\", \"task\": \"comp").unwrap();
    drop(file);
    let second = example("compound", "Water was added.", "Water");
    store.append(&second).unwrap();

    let (examples, warnings) = store.read("compound").unwrap();
    assert_eq!(examples, vec![first, second]);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].contains("compound.jsonl:2"), "{warnings:?}");
}

#[test]
fn reading_a_task_without_examples_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (examples, warnings) = Store::new(dir.path().join("missing")).read("nmr").unwrap();
    assert!(examples.is_empty() && warnings.is_empty());
}

#[test]
fn exporting_saved_examples_writes_them_all_and_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("examples"));
    let registry = Registry::builtin();
    let task = registry.get("compound").unwrap();
    let to = dir.path().join("out/compound.jsonl");
    let error = export_saved(&store, task, ExportStyle::Chat, &to)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("no saved examples") && error.contains("compound.jsonl"),
        "{error}"
    );
    assert!(!to.exists());

    store
        .append(&example("compound", "Ethanol and THF were mixed.", "Ethanol | THF"))
        .unwrap();
    store.append(&example("compound", "Water was added.", "Water")).unwrap();
    let (count, warnings) = export_saved(&store, task, ExportStyle::Chat, &to).unwrap();
    assert_eq!((count, warnings.len()), (2, 0));
    assert_eq!(std::fs::read_to_string(&to).unwrap().lines().count(), 2);
}

#[test]
fn chat_export_has_system_user_assistant() {
    let registry = Registry::builtin();
    let task = registry.get("action").unwrap();
    let saved = example("action", "The mixture was stirred overnight.", "STIR for overnight.");
    let line: serde_json::Value = serde_json::from_str(&export_line(task, &saved, ExportStyle::Chat)).unwrap();
    let messages = line["messages"].as_array().unwrap();
    let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant"]);
    assert_eq!(
        messages[0]["content"],
        "You are an assistant that formats chemical paragraphs to actions."
    );
    assert_eq!(messages[1]["content"], "The mixture was stirred overnight.");
    assert_eq!(messages[2]["content"], "STIR for overnight.");
}

#[test]
fn completion_export_uses_the_nerre_separators() {
    let registry = Registry::builtin();
    let task = registry.get("doping-eng").unwrap();
    let saved = example(
        "doping-eng",
        "ZnO doped with Al.",
        "The host 'ZnO' was doped with 'Al'.\n",
    );
    let line: serde_json::Value = serde_json::from_str(&export_line(task, &saved, ExportStyle::Completion)).unwrap();
    assert_eq!(
        line["prompt"],
        "ZnO doped with Al.\n\nExtract doping information from this sentence.\n\n###\n"
    );
    assert_eq!(line["completion"], " The host 'ZnO' was doped with 'Al'.\n\nEND");

    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("out/train.jsonl");
    assert_eq!(
        write_export(task, &[saved.clone(), saved], ExportStyle::Chat, &to).unwrap(),
        2
    );
    assert_eq!(std::fs::read_to_string(&to).unwrap().lines().count(), 2);
}

#[test]
fn a_broken_user_task_is_named_and_the_others_load() {
    let dir = tempfile::tempdir().unwrap();
    let good = Registry::builtin()
        .get("compound")
        .map(|t| toml::to_string(t).unwrap())
        .unwrap();
    std::fs::write(
        dir.path().join("solvents.toml"),
        good.replace("name = \"compound\"", "name = \"solvents\""),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.toml"),
        "name = \"x\"\ntitle = \"X\"\ncolour = \"red\"\n",
    )
    .unwrap();
    let registry = Registry::load(Some(dir.path()));
    assert!(registry.get("solvents").is_some());
    assert_eq!(registry.tasks.len(), 12);
    assert_eq!(registry.errors.len(), 1);
    let message = registry.errors[0].to_string();
    assert!(message.contains("broken.toml"), "{message}");
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("colour"), "{message}");
}

/// The prompt inside an export is exactly what the fine-tuned mode sends at inference, for every
/// built-in task and both export styles.
#[test]
fn exports_carry_the_inference_prompt_of_every_task() {
    use retort::llm::prompt::{Prompt, build};
    let registry = Registry::builtin();
    for task in &registry.tasks {
        let paragraph = "The residue was dissolved in ethanol (20 mL) and THF {input} (5 mL).";
        // The export renders the answer as saved; only the prompt around it matters here.
        let example = SavedExample {
            answer: "ethanol".into(),
            extraction: Default::default(),
            ..example("compound", paragraph, "ethanol")
        };
        let profile = retort::llm::ModelProfile::embedded(
            "ft",
            std::path::Path::new("m.gguf"),
            retort::llm::profile::Mode::FineTuned,
        );
        let sent = build(task, &profile, paragraph, &[]).unwrap().prompt;
        let chat: serde_json::Value = serde_json::from_str(&export_line(task, &example, ExportStyle::Chat)).unwrap();
        let completion: serde_json::Value =
            serde_json::from_str(&export_line(task, &example, ExportStyle::Completion)).unwrap();
        match sent {
            Prompt::Chat { messages } => {
                let exported = &chat["messages"].as_array().unwrap()[..messages.len()];
                assert_eq!(
                    serde_json::to_value(&messages).unwrap().as_array().unwrap(),
                    exported,
                    "{}",
                    task.name
                );
                assert_eq!(completion["prompt"], messages.last().unwrap().content, "{}", task.name);
            }
            Prompt::Completion { text } => assert_eq!(completion["prompt"], text, "{}", task.name),
        }
    }
}

/// `count` compound examples in `{"id", "text", "answer"}` lines, in `dir/gold.jsonl`.
fn gold_file(dir: &std::path::Path, count: usize) -> std::path::PathBuf {
    let gold = dir.join("gold.jsonl");
    let lines: Vec<String> = (0..count)
        .map(|i| serde_json::json!({"id": format!("g{i}"), "text": format!("Ethanol ({i} mL) was added."), "answer": "Ethanol"}).to_string())
        .collect();
    std::fs::write(&gold, lines.join("\n") + "\n").unwrap();
    gold
}

/// Four real processes import into one task's examples at once: every example arrives whole
/// (appends take the store file's lock).
#[test]
fn concurrent_imports_into_one_store_lose_and_tear_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let gold = gold_file(dir.path(), 200);
    let children: Vec<_> = (0..4)
        .map(|_| {
            common::retort_in(dir.path())
                .args(["import", "--task", "compound"])
                .arg(&gold)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let store = retort::dataset::store::Store::new(dir.path().join("data/examples"));
    let (examples, warnings) = store.read("compound").unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(examples.len(), 800);
}

/// An import waits for the store file's lock: while this process holds it (as a second Retort
/// appending would), `retort import` is seen waiting on it in /proc/locks and has written
/// nothing; the line this process then writes without its line break is completed, and every
/// example arrives. An import that did not take the lock would finish while the lock is held.
#[test]
fn an_import_waits_for_the_store_lock_held_by_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let gold = gold_file(dir.path(), 50);
    let store = Store::new(dir.path().join("data/examples"));
    std::fs::create_dir_all(dir.path().join("data/examples")).unwrap();
    let mut held = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(store.path("compound"))
        .unwrap();
    held.lock().unwrap();
    let mut child = common::retort_in(dir.path())
        .args(["import", "--task", "compound"])
        .arg(&gold)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waiting = format!(" {} ", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished while the store was locked"
        );
        let locks = std::fs::read_to_string("/proc/locks").unwrap();
        // A blocked request is listed with "->" before its kind.
        if locks.lines().any(|l| l.contains("-> FLOCK") && l.contains(&waiting)) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the import never waited on the lock:\n{locks}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(std::fs::metadata(store.path("compound")).unwrap().len(), 0);
    let mine = example("compound", "Water (5 mL) was added.", "Water");
    write!(held, "{}", serde_json::to_string(&mine).unwrap()).unwrap();
    held.unlock().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (examples, warnings) = store.read("compound").unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(examples.len(), 51);
    assert_eq!(examples[0].id, mine.id);
}
