//! The paragraphs of a queue and the runs already made on them: read from a `retort extract`
//! output (runs kept as recorded, nothing re-run) or from any input `retort extract` reads (no
//! runs yet: the queue pre-annotates them).

use crate::dataset::table::InputError;
use crate::input::{BlockFilter, Paragraph};
use crate::llm::Run;
use crate::llm::run_line::RunLine;
use crate::place::Place;
use crate::side::{PerSide, Side};
use crate::task::Task;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One paragraph to review, with the runs to start from: left (the main model) and right (the
/// compared one).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub paragraph: String,
    pub runs: PerSide<Option<Run>>,
    /// Where the paragraph sits in its paper, when it came from one.
    pub place: Option<Place>,
}

/// The items of a file and the lines that were skipped (named with their line numbers).
pub struct Loaded {
    pub items: Vec<Item>,
    pub problems: Vec<String>,
    /// Blocks of papers the filter passed over, by kind.
    pub passed_over: crate::input::filter::PassedOver,
}

/// The first line of a `retort extract` output (read without reading the rest); `None` for
/// any other file.
fn extract_output_line(path: &Path) -> Option<RunLine> {
    use std::io::BufRead;
    if !crate::input::kind_of(path).ok()?.is_extract_output() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let first = std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .find(|l| !l.trim().is_empty())?;
    serde_json::from_str(&first).ok()
}

/// The task a `retort extract` output was made for (its first line's `task`); `None` for any
/// other file.
pub fn extract_output_task(path: &Path) -> Option<String> {
    Some(extract_output_line(path)?.task).filter(|t| !t.is_empty())
}

/// Reads a queue's paragraphs: an extract output gives its runs (newest line per id), anything
/// else gives paragraphs without runs. Ids that repeat get `#2`, `#3`…; missing ones `line-N`.
pub fn load(path: &Path, task: &Task, filter: &BlockFilter) -> Result<Loaded, InputError> {
    if extract_output_line(path).is_some() {
        let (runs, problems) = read_runs(path, task)?;
        let mut passed_over = crate::input::filter::PassedOver::default();
        let items = runs
            .into_iter()
            .filter(|r| {
                let paragraph = Paragraph {
                    id: r.id.clone(),
                    text: r.paragraph.clone(),
                    place: r.place.clone(),
                };
                passed_over.count(filter, &paragraph)
            })
            .map(|r| Item {
                id: r.id,
                paragraph: r.paragraph,
                runs: PerSide::new(Some(r.run), None),
                place: r.place,
            })
            .collect();
        return Ok(Loaded {
            items,
            problems,
            passed_over,
        });
    }
    let (paragraphs, problems) = crate::input::read_paragraphs(path, task)?;
    let (paragraphs, passed_over) = filter.split(paragraphs);
    Ok(Loaded {
        passed_over,
        items: unique_ids(paragraphs)
            .into_iter()
            .map(|p| Item {
                id: p.id,
                paragraph: p.text,
                runs: PerSide::default(),
                place: p.place,
            })
            .collect(),
        problems: problems.iter().map(ToString::to_string).collect(),
    })
}

/// Attaches the runs of a second extract output as the right-hand runs, by id.
pub fn attach_compare(items: &mut [Item], path: &Path, task: &Task) -> Result<Vec<String>, InputError> {
    let (runs, mut problems) = read_runs(path, task)?;
    let mut by_id: HashMap<String, Run> = runs.into_iter().map(|r| (r.id, r.run)).collect();
    for item in items.iter_mut() {
        item.runs[Side::Compare] = by_id.remove(&item.id);
    }
    if !by_id.is_empty() {
        problems.push(format!(
            "{}: {} paragraph(s) are not in the queue and are left out",
            path.display(),
            by_id.len()
        ));
    }
    Ok(problems)
}

/// Makes ids unique and present, stably: the same file always gives the same ids.
fn unique_ids(paragraphs: Vec<Paragraph>) -> Vec<Paragraph> {
    let mut seen: HashSet<String> = HashSet::new();
    paragraphs
        .into_iter()
        .enumerate()
        .map(|(i, mut p)| {
            if p.id.trim().is_empty() {
                p.id = format!("line-{}", i + 1);
            }
            let base = p.id.clone();
            let mut n = 1;
            while !seen.insert(p.id.clone()) {
                n += 1;
                p.id = format!("{base}#{n}");
            }
            p
        })
        .collect()
}

/// A line of an extract output: the paragraph and the run made on it.
pub struct RecordedRun {
    pub id: String,
    pub paragraph: String,
    pub run: Run,
    pub place: Option<Place>,
}

/// The runs of an extract output in first-appearance order, newest line per id, and the bad lines.
pub fn read_runs(path: &Path, task: &Task) -> Result<(Vec<RecordedRun>, Vec<String>), InputError> {
    let text = std::fs::read_to_string(path).map_err(|e| InputError::new(path, 0, format!("cannot read: {e}")))?;
    let mut problems = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let mut newest: HashMap<String, (String, Run, Option<Place>)> = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // Straight into the line's shape: a corpus of runs is tens of megabytes.
        match serde_json::from_str::<RunLine>(line) {
            Ok(output) => {
                let id = output.id.clone().unwrap_or_else(|| format!("line-{}", index + 1));
                let paragraph = output.input.clone();
                let place = output.place.clone();
                let run = output.into_run(task);
                if newest.insert(id.clone(), (paragraph, run, place)).is_none() {
                    order.push(id);
                }
            }
            Err(e) => problems.push(format!(
                "{}:{}: not an extract output line ({e})",
                path.display(),
                index + 1
            )),
        }
    }
    let runs = order
        .into_iter()
        .filter_map(|id| {
            let (paragraph, run, place) = newest.remove(&id)?;
            Some(RecordedRun {
                id,
                paragraph,
                run,
                place,
            })
        })
        .collect();
    Ok((runs, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_missing_ids_become_unique_and_stable() {
        let p = |id: &str| Paragraph {
            id: id.into(),
            text: "x".into(),
            place: None,
        };
        let ids: Vec<String> = unique_ids(vec![p("a"), p("a"), p(""), p("a#2")])
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(ids, ["a", "a#2", "line-3", "a#2#2"]);
    }
}
