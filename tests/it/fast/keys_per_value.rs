//! Keys per value: how many keys the field editor needs to take each gold value of the compound
//! test set (1000 paragraphs) and the MOF synthesis set (329) from its paragraph, filling the
//! fields in order as a chemist would. A model of the choosing keys (`v`, word motions, counts,
//! `e`, `/` and its matches, `Enter`) finds the shortest key sequence for each value by breadth-
//! first search; every sequence found is then pressed on the real workbench, and the value it
//! sets must be the gold one. `SHOW_NOT_WHOLE=1` prints each value that is not whole words of its
//! paragraph, with its neighbourhood. `scripts/bench-keys.sh` prints the figures (docs/review.md, "Keys per value, measured").

use crate::common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use retort::tui::action::{Action, Command};
use retort::tui::fields::{Selection, labels, words};
use retort::tui::form::{Row, rows};
use retort::tui::select::name_end;
use retort::tui::state::State;
use retort::tui::update::update;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::ops::Range;

/// Searches stop here: a value that needs more is reported as "more than".
const MOST_KEYS: usize = 12;

/// The goal: no gold value that is written whole in its paragraph takes more.
const GOAL: usize = 6;

/// Measured (docs/review.md, "Keys per value, measured"): the values still over the goal are far from where `v`
/// starts (more than 26 words, beyond the labels) and several words long (`title product 5`
/// 32 words on; `BDCH2 stock solution` 28 words back). A change that makes any value take
/// more keys, or more values take more than `GOAL`, fails here.
const MOST_OVER_GOAL: usize = 17;
const WORST: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Right,
    Left,
}

impl Key {
    fn event(self) -> KeyEvent {
        let code = match self {
            Key::Char(c) => KeyCode::Char(c),
            Key::Enter => KeyCode::Enter,
            Key::Esc => KeyCode::Esc,
            Key::Tab => KeyCode::Tab,
            Key::BackTab => KeyCode::BackTab,
            Key::Right => KeyCode::Right,
            Key::Left => KeyCode::Left,
        };
        let modifiers = match self {
            Key::Char(c) if c.is_uppercase() => KeyModifiers::SHIFT,
            Key::BackTab => KeyModifiers::SHIFT,
            _ => KeyModifiers::NONE,
        };
        KeyEvent::new(code, modifiers)
    }
}

fn spell(keys: &[Key]) -> String {
    keys.iter()
        .map(|k| match k {
            Key::Char(c) => c.to_string(),
            Key::Enter => "⏎".into(),
            Key::Esc => "⎋".into(),
            Key::Tab => "⇥".into(),
            Key::BackTab => "⇤".into(),
            Key::Right => "→".into(),
            Key::Left => "←".into(),
        })
        .collect()
}

/// A search typed or done: the query is the value's first `typed` characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Search {
    typed: usize,
    typing: bool,
    origin: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Choice {
    first: usize,
    last: usize,
    search: Option<Search>,
}

/// One value to take from one paragraph, and what the choosing keys do there.
struct Model<'a> {
    paragraph: &'a str,
    words: Vec<Range<usize>>,
    value: Vec<char>,
    /// The words of each place the value is written whole.
    targets: Vec<(usize, usize)>,
    /// The matches of the value's first k characters, for k = 1, 2, …
    matches: Vec<Vec<Range<usize>>>,
}

impl<'a> Model<'a> {
    fn new(paragraph: &'a str, value: &str) -> Model<'a> {
        let words = words(paragraph);
        let targets = paragraph
            .match_indices(value)
            .filter_map(|(at, _)| {
                let first = words.iter().position(|w| w.start == at)?;
                let last = words.iter().position(|w| w.end == at + value.len())?;
                Some((first, last))
            })
            .collect();
        let value: Vec<char> = value.chars().collect();
        let matches = (1..=value.len().min(24))
            .map(|k| retort::ground::occurrences(paragraph, &value[..k].iter().collect::<String>()))
            .collect();
        Model {
            paragraph,
            words,
            value,
            targets,
            matches,
        }
    }

    fn jump(&self, choice: &mut Choice, range: &Range<usize>) {
        let Some(first) = self.words.iter().position(|w| w.end > range.start) else {
            return;
        };
        let last = self.words.iter().rposition(|w| w.start < range.end).unwrap_or(first);
        choice.first = first;
        choice.last = last.max(first);
    }

    fn next_match(&self, choice: &mut Choice, typed: usize, forward: bool) {
        let matches = &self.matches[typed - 1];
        let here = &self.words[choice.first];
        let found = if forward {
            matches.iter().find(|m| m.start >= here.end).or(matches.first())
        } else {
            matches.iter().rev().find(|m| m.start < here.start).or(matches.last())
        };
        if let Some(range) = found {
            self.jump(choice, range);
        }
    }

    /// One press of `key` with no count.
    fn once(&self, choice: Choice, key: Key) -> Option<Step> {
        let last_word = self.words.len() - 1;
        let mut next = choice;
        match (choice.search, key) {
            (_, Key::Enter) => return Some(Err((choice.first, choice.last))),
            (Some(s), Key::Esc) if s.typing => next.search = Some(Search { typing: false, ..s }),
            (Some(s), Key::Right | Key::Left) if s.typing => {
                next.search = Some(Search { typing: false, ..s });
                next = self
                    .once(next, Key::Char(if key == Key::Right { 'W' } else { 'B' }))?
                    .ok()?;
            }
            (Some(s), Key::Char(c)) if s.typing => {
                if s.typed >= self.matches.len() || self.value[s.typed] != c {
                    return None;
                }
                let typed = s.typed + 1;
                next.search = Some(Search { typed, ..s });
                let from = self.words[s.origin].start;
                let matches = &self.matches[typed - 1];
                if let Some(range) = matches.iter().find(|m| m.start >= from).or(matches.first()) {
                    self.jump(&mut next, range);
                }
            }
            (Some(s), Key::Tab | Key::BackTab) if s.typing && s.typed > 0 => {
                self.next_match(&mut next, s.typed, key == Key::Tab)
            }
            (Some(s), Key::Char(c @ ('n' | 'N'))) if !s.typing && s.typed > 0 => {
                self.next_match(&mut next, s.typed, c == 'n')
            }
            (Some(s), _) if s.typing => return None,
            (_, Key::Char('w')) => {
                next.first = (choice.last + 1).min(last_word);
                next.last = next.first;
            }
            (_, Key::Char('b')) => {
                next.first = choice.first.saturating_sub(1);
                next.last = next.first;
            }
            (_, Key::Char('W')) => next.last = (choice.last + 1).min(last_word),
            (_, Key::Char('B')) => next.last = choice.last.saturating_sub(1).max(choice.first),
            (_, Key::Char('e')) => next.last = name_end(self.paragraph, &self.words, choice.last),
            (_, Key::Char('/')) => {
                next.search = Some(Search {
                    typed: 0,
                    typing: true,
                    origin: choice.first,
                })
            }
            _ => return None,
        }
        Some(Ok(next))
    }

    /// The single keys worth pressing from `choice`.
    fn keys(&self, choice: &Choice) -> Vec<Key> {
        match choice.search {
            Some(s) if s.typing => {
                let mut keys = vec![Key::Enter, Key::Esc, Key::Tab, Key::BackTab, Key::Right, Key::Left];
                if let Some(&c) = self.value.get(s.typed) {
                    keys.push(Key::Char(c));
                }
                keys
            }
            _ => "wbWBe/nN".chars().map(Key::Char).chain([Key::Enter]).collect(),
        }
    }

    /// The counted motions from `choice` that land on a place of the value: `12w` to its first
    /// word, `3W` to its last (a count that lands elsewhere is never the shortest way there).
    fn counted(&self, choice: &Choice) -> Vec<(usize, char)> {
        if choice.search.is_some_and(|s| s.typing) {
            return Vec::new();
        }
        let mut counted = Vec::new();
        for &(first, last) in &self.targets {
            if first > choice.last {
                counted.push((first - choice.last, 'w'));
            } else if first < choice.first {
                counted.push((choice.first - first, 'b'));
            } else if first == choice.first && last > choice.last {
                counted.push((last - choice.last, 'W'));
            } else if first == choice.first && last < choice.last {
                counted.push((choice.last - last, 'B'));
            }
        }
        counted.retain(|(times, _)| *times > 1);
        counted
    }

    /// The word `f`/`F`/`t` and `letter` lead to, the `times`th that begins with it.
    fn letter_word(&self, choice: &Choice, motion: char, letter: char, times: usize) -> Option<usize> {
        let begins = |at: &usize| {
            let first = self.paragraph[self.words[*at].clone()].chars().next();
            first.is_some_and(|c| c == letter || c.to_lowercase().eq(letter.to_lowercase()))
        };
        match motion {
            'F' => (0..choice.first).rev().filter(begins).nth(times - 1),
            _ => (choice.last + 1..self.words.len()).filter(begins).nth(times - 1),
        }
    }

    /// The letter motions from `choice` that land on a place of the value's first or last word.
    fn to_letters(&self, choice: &Choice) -> Vec<(Vec<Key>, Choice)> {
        if choice.search.is_some_and(|s| s.typing) {
            return Vec::new();
        }
        let letter = |word: usize| self.paragraph[self.words[word].clone()].chars().next();
        let mut found = Vec::new();
        for &(first, last) in &self.targets {
            let wanted = [('f', first), ('F', first), ('t', last)];
            for (motion, word) in wanted {
                let Some(c) = letter(word) else { continue };
                for times in 1..=9 {
                    let Some(at) = self.letter_word(choice, motion, c, times) else {
                        break;
                    };
                    if at != word {
                        continue;
                    }
                    let mut to = *choice;
                    to.last = at;
                    if motion != 't' {
                        to.first = at;
                    }
                    let count = (times > 1).then(|| char::from_digit(times as u32, 10).unwrap());
                    let keys = count.into_iter().chain([motion, c]).map(Key::Char).collect();
                    found.push((keys, to));
                    break;
                }
            }
        }
        let selection = Selection {
            words: self.words.clone(),
            first: choice.first,
            last: choice.last,
            search: None,
            count: None,
            awaiting: None,
        };
        for &(first, last) in &self.targets {
            let jumps = labels(&selection, false).into_iter().find(|(w, _)| *w == first);
            if let Some((_, l)) = jumps {
                let to = Choice {
                    first,
                    last: first,
                    ..*choice
                };
                found.push((vec![Key::Char('s'), Key::Char(l)], to));
            }
            let grows = labels(&selection, true).into_iter().find(|(w, _)| *w == last);
            if let (true, Some((_, l))) = (choice.first == first, grows) {
                let to = Choice { last, ..*choice };
                found.push((vec![Key::Char('S'), Key::Char(l)], to));
            }
        }
        found
    }

    /// Every way on from `choice`: the keys, and where they lead (`Err`: the words taken).
    fn edges(&self, choice: &Choice) -> Vec<(Vec<Key>, Step)> {
        let mut edges: Vec<_> = self
            .keys(choice)
            .into_iter()
            .filter_map(|key| Some((vec![key], self.once(*choice, key)?)))
            .filter(|(_, to)| *to != Ok(*choice))
            .collect();
        for (times, motion) in self.counted(choice) {
            let mut to = *choice;
            for _ in 0..times {
                to = self.once(to, Key::Char(motion)).and_then(Result::ok).unwrap_or(to);
            }
            let keys = times.to_string().chars().chain([motion]).map(Key::Char).collect();
            edges.push((keys, Ok(to)));
        }
        edges.extend(self.to_letters(choice).into_iter().map(|(keys, to)| (keys, Ok(to))));
        edges
    }

    /// The fewest keys (from `v` on) that take the value, starting at word `start`, and the words
    /// they take; `None` when it needs more than `MOST_KEYS`.
    fn shortest(&self, start: usize) -> Option<(Vec<Key>, (usize, usize))> {
        let begin = Choice {
            first: start,
            last: start,
            search: None,
        };
        let mut best: Paths = HashMap::new();
        let mut queue = BinaryHeap::from([Reverse((1, begin))]);
        best.insert(begin, (1, begin, vec![Key::Char('v')]));
        let mut found: Option<(Vec<Key>, (usize, usize))> = None;
        while let Some(Reverse((cost, choice))) = queue.pop() {
            let done = found.as_ref().map_or(MOST_KEYS, |(keys, _)| keys.len() - 1);
            if cost >= done {
                break;
            }
            if cost > best[&choice].0 {
                continue;
            }
            for (keys, to) in self.edges(&choice) {
                let at = cost + keys.len();
                match to {
                    Err(taken) if self.targets.contains(&taken) && found.as_ref().is_none_or(|f| at < f.0.len()) => {
                        found = Some((self.path(&best, begin, choice, keys), taken));
                    }
                    Ok(next) if best.get(&next).is_none_or(|(c, ..)| at < *c) => {
                        best.insert(next, (at, choice, keys));
                        queue.push(Reverse((at, next)));
                    }
                    _ => {}
                }
            }
        }
        found
    }

    /// The keys from `v` to `choice` (as `best` reached it), then `last`.
    fn path(&self, best: &Paths, begin: Choice, mut here: Choice, last: Vec<Key>) -> Vec<Key> {
        let mut path = last;
        loop {
            let (_, before, pressed) = &best[&here];
            path.splice(0..0, pressed.iter().copied());
            if here == begin {
                return path;
            }
            here = *before;
        }
    }
}

/// Where keys lead: on to a choice, or the words taken.
type Step = Result<Choice, (usize, usize)>;

/// The fewest keys to each choice reached, the choice before it and the keys from there.
type Paths = HashMap<Choice, (usize, Choice, Vec<Key>)>;

/// The keys each value took (`None`: more than `MOST_KEYS`), with the value and its keys.
struct Tally {
    keys: Vec<(Option<usize>, String, String)>,
    not_whole: usize,
}

fn press_keys(state: &mut State, keys: &[Key]) {
    for key in keys {
        update(state, Action::Key(key.event()));
    }
}

fn open_form(task: &str, paragraph: &str) -> State {
    common::form::fields_open(task, paragraph, "", (160, 48))
}

/// Goes to the row where `field`'s next value goes and returns the word `v` starts from.
fn go_to_slot(state: &mut State, field: &str) {
    let form = state.correction.form().unwrap();
    let all = rows(state.task(), &form.extraction, form.record);
    let at = all
        .iter()
        .position(|r| *r == Row::Add { field: field.into() })
        .unwrap_or_else(|| panic!("no row to add {field}: {all:?}"));
    state.correction.form_mut().unwrap().row = at;
}

/// Takes `value` into `field` on the workbench: the shortest keys, pressed, must set it.
fn take(state: &mut State, field: &str, value: &str, tally: &mut Tally) {
    let paragraph = state.paragraph();
    let model = Model::new(&paragraph, value);
    if model.targets.is_empty() {
        tally.not_whole += 1;
        if std::env::var("SHOW_NOT_WHOLE").is_ok() {
            let at = paragraph.find(value).unwrap_or(0);
            eprintln!(
                "NOT WHOLE {value:?} in …{}…",
                &paragraph[paragraph.floor_char_boundary(at.saturating_sub(15))
                    ..paragraph.floor_char_boundary((at + value.len() + 15).min(paragraph.len()))]
            );
        }
        return;
    }
    go_to_slot(state, field);
    let start = retort::tui::select::start_word(state).expect("a place to start");
    let Some((keys, _)) = model.shortest(start) else {
        tally.keys.push((None, value.into(), String::new()));
        return;
    };
    let form = state.correction.form().unwrap();
    let before = form.extraction.field_values(form.record, field).len();
    press_keys(state, &keys);
    let form = state.correction.form().expect("the form stays open");
    let values = form.extraction.field_values(form.record, field);
    assert_eq!(values.len(), before + 1, "{value:?} with {}", spell(&keys));
    assert_eq!(values[before].text, value, "{} in {paragraph:?}", spell(&keys));
    tally.keys.push((Some(keys.len()), value.into(), spell(&keys)));
}

fn compounds(tally: &mut Tally) {
    let mut reader = csv::Reader::from_path(common::data("chemsci2024/compound/test_1000.csv")).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let mut state = open_form("compound", &record[1]);
        for value in record[2].split(" | ").filter(|v| !v.trim().is_empty()) {
            take(&mut state, "compound", value, tally);
        }
    }
}

fn mof_syntheses(tally: &mut Tally) {
    let mut reader = csv::Reader::from_path(common::data("chemsci2024/mof-synthesis/train_329.csv")).unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        let gold: Vec<serde_json::Map<String, serde_json::Value>> =
            serde_json::from_str(&record[1]).unwrap_or_default();
        let mut state = open_form("mof-synthesis", &record[0]);
        for (at, mof) in gold.iter().enumerate() {
            if at > 0 {
                update(&mut state, Action::Command(Command::AddRecord));
            }
            let fields: Vec<String> = state.task().fields.iter().map(|f| f.name.clone()).collect();
            for field in fields {
                let Some(text) = mof.get(&field).and_then(|v| v.as_str()) else {
                    continue;
                };
                for value in text.split(" | ").filter(|v| *v != "NaN" && !v.trim().is_empty()) {
                    take(&mut state, &field, value, tally);
                }
            }
        }
    }
}

fn report(name: &str, tally: &Tally) -> usize {
    let mut counts: Vec<usize> = tally.keys.iter().map(|(k, ..)| k.unwrap_or(MOST_KEYS + 1)).collect();
    counts.sort_unstable();
    let at = |q: f64| counts[((counts.len() - 1) as f64 * q).round() as usize];
    let over: Vec<_> = tally
        .keys
        .iter()
        .filter(|(k, ..)| k.is_none_or(|k| k > GOAL))
        .map(|(k, v, keys)| format!("{v:?} {k:?} {keys}"))
        .collect();
    eprintln!(
        "{name}: {} values taken from the source ({} not written whole there): keys median {}, 90th percentile {}, worst {}; {} over {GOAL}: {:?}",
        counts.len(),
        tally.not_whole,
        at(0.5),
        at(0.9),
        counts.last().unwrap(),
        over.len(),
        &over[..over.len().min(30)]
    );
    let mut histogram = [0; MOST_KEYS + 2];
    for k in &counts {
        histogram[*k] += 1;
    }
    eprintln!("{name}: values by keys (2…{MOST_KEYS}, more): {:?}", &histogram[2..]);
    over.len()
}

#[test]
fn every_gold_value_takes_few_keys() {
    let mut tallies = Vec::new();
    for (name, fill) in [
        ("compound", compounds as fn(&mut Tally)),
        ("mof-synthesis", mof_syntheses),
    ] {
        let mut tally = Tally {
            keys: Vec::new(),
            not_whole: 0,
        };
        fill(&mut tally);
        tallies.push((name, tally));
    }
    let over: usize = tallies.iter().map(|(name, tally)| report(name, tally)).sum();
    assert!(tallies.iter().all(|(_, t)| t.keys.len() > 1000));
    let worst = tallies
        .iter()
        .flat_map(|(_, t)| &t.keys)
        .map(|(k, ..)| k.unwrap_or(MOST_KEYS + 1))
        .max();
    assert!(worst <= Some(WORST), "the worst value takes {worst:?} keys");
    assert!(over <= MOST_OVER_GOAL, "{over} values take more than {GOAL} keys");
}
