//! The chemistry checks (`task::checks`): on hand-made values whose verdict we know, in the risk
//! order, beside a value on screen, and over the papers' gold values, where a check that fires
//! often would be noise.

use crate::common;

use retort::llm::{RunRequest, from_reply};
use retort::review::items::Item;
use retort::review::risk::{Order, Risk, assess, order};
use retort::task::{Registry, Task};
use retort::tui::action::{Action, Command, Side};
use retort::tui::update::update;

fn task(name: &str) -> Task {
    Registry::builtin().tasks.into_iter().find(|t| t.name == name).unwrap()
}

fn item(task: &Task, id: &str, paragraph: &str, reply: &str) -> Item {
    let state = common::tui_state(&task.name, "", 80, 24);
    let run = from_reply(&RunRequest::new(task, &state.profiles[0], paragraph), reply);
    Item {
        id: id.into(),
        paragraph: paragraph.into(),
        runs: retort::side::PerSide::new(Some(run), None),
        place: None,
    }
}

/// The compound task with the generic-word check added, as a user's task file adds it (the
/// built-in task leaves it out: the papers' annotation counts "title compound" as a mention).
fn compound_with_generic_words() -> Task {
    let toml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/task/builtin/compound.toml"),
    )
    .unwrap();
    Task::from_toml(&format!(
        "{toml}\n[[check]]\nfield = \"compound\"\nkind = \"generic-word\"\n"
    ))
    .unwrap()
}

#[test]
fn a_generic_word_is_a_risk_and_comes_first() {
    let compound = compound_with_generic_words();
    let paragraph = "The reaction mixture was diluted with ethyl acetate and washed with brine.";
    let items = [
        item(&compound, "clean", paragraph, "ethyl acetate | brine"),
        item(
            &compound,
            "generic",
            paragraph,
            "reaction mixture | ethyl acetate | brine",
        ),
    ];
    let risks: Vec<Vec<Risk>> = items.iter().map(|i| assess(i, &compound.checks)).collect();
    assert_eq!(risks[0], []);
    assert_eq!(risks[1], [Risk::Chemistry(1)]);
    assert!(risks[1][0].describe().contains("⚗"));
    assert_eq!(order(&risks, Order::Risk), [1, 0]);
    // Without the task's checks the same run is not risky: the risk comes from the table.
    assert_eq!(assess(&items[1], &[]), []);
}

#[test]
fn a_yield_over_100_is_marked_beside_the_value_and_said_below() {
    let paragraph = "The <Prod*amide*Prod> was obtained in 105 % yield.";
    let mut state = common::tui_state("rxn-role", paragraph, 160, 48);
    update(&mut state, Action::Command(Command::Run));
    common::finish_run(
        &mut state,
        Side::Main,
        "The <Prod*amide*Prod> was obtained in <Yield*105 %*Yield> yield.",
    );
    let screen = common::render_text(&state);
    assert!(screen.contains("105 % ✓ ⚗"), "beside the value:\n{screen}");
    assert!(
        screen.contains("⚗ 1 to check: a yield of 105 % is over 100 %"),
        "{screen}"
    );
}

#[test]
fn a_task_adds_its_own_check_and_a_wrong_field_is_refused() {
    let toml = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/task/builtin/compound.toml"),
    )
    .unwrap();
    let own = format!("{toml}\n[[check]]\nfield = \"compound\"\nkind = \"hrms\"\n");
    let task = Task::from_toml(&own).unwrap();
    let wrong = "HRMS (ESI) calcd for C8H10N4O2 [M+H]+ 209.1033, found 209.1030";
    assert_eq!(task.value_problems("compound", wrong).len(), 1);
    let bad = format!("{toml}\n[[check]]\nfield = \"yield\"\nkind = \"yield-percent\"\n");
    let error = Task::from_toml(&bad).unwrap_err().to_string();
    assert!(error.contains("\"yield\""), "{error}");
    let unknown = format!("{toml}\n[[check]]\nfield = \"compound\"\nkind = \"purity\"\n");
    assert!(Task::from_toml(&unknown).is_err());
}

/// (values checked, values flagged, the flagged ones) over a task's gold answers.
fn flagged_in_gold(task: &Task, answers: &[String]) -> (usize, Vec<String>) {
    let (mut values, mut flagged) = (0, Vec::new());
    for answer in answers {
        let Ok(extraction) = task.parse(answer) else { continue };
        for (field, value) in extraction.values() {
            values += 1;
            for problem in task.value_problems(field, &value.text) {
                flagged.push(problem);
            }
        }
    }
    (values, flagged)
}

fn column(file: &str, name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_path(common::data(file)).unwrap();
    let at = reader.headers().unwrap().iter().position(|h| h == name).unwrap();
    reader.records().map(|r| r.unwrap()[at].to_string()).collect()
}

#[test]
fn the_papers_gold_values_rarely_trip_a_check() {
    let (values, flagged) = flagged_in_gold(
        &compound_with_generic_words(),
        &column("chemsci2024/compound/test_1000.csv", "Compound"),
    );
    assert_eq!(
        (values, flagged.len()),
        (8606, 457),
        "why compound.toml leaves the check out"
    );
    assert!(task("compound").checks.is_empty());
    for (task_name, file, name) in [
        ("mof-synthesis", "chemsci2024/mof-synthesis/train_329.csv", "MOFInfo"),
        ("rxn-role", "chemsci2024/rxn-role/test.csv", "output"),
    ] {
        let task = task(task_name);
        let (values, flagged) = flagged_in_gold(&task, &column(file, name));
        eprintln!(
            "{task_name}: {} of {values} gold values flagged: {:?}",
            flagged.len(),
            &flagged[..flagged.len().min(8)]
        );
        assert!(values > 400, "{task_name}: {values} values");
        assert!(
            (flagged.len() as f64) < 0.02 * values as f64,
            "{task_name}: {} of {values} gold values flagged: {flagged:?}",
            flagged.len()
        );
    }
}
