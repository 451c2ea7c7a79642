//! Keys to take a value from the source in the field editor, counted by a scripted reviewer
//! through the real pure update: for every gold value that is a run of whole words of its
//! paragraph (20 compound paragraphs of the test set, the last 20 MOF-synthesis paragraphs of the
//! training file), from its field's row, with the word steps alone (`v`, `w`…, `W`…, `Enter`)
//! and with search and names (`v`, `/`, a few letters, `Tab` to the match, `Enter`; for a name of
//! several words `Esc`, `e`, `W` or `B`, `Enter`), and with the mouse (wheel notches until the
//! value is on screen, one press or drag over its words, `Enter`: each counts one). Then the time
//! from a key to the redrawn screen on a 2,000-word paragraph.
//! Usage: cargo bench --bench pointing

#[path = "../tests/it/common/mod.rs"]
mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use retort::tui::action::{Action, Command, Side};
use retort::tui::form::{Row, words};
use retort::tui::screen;
use retort::tui::state::State;
use retort::tui::update::update;
use std::time::{Duration, Instant};

const PARAGRAPHS: usize = 20;

fn key(state: &mut State, code: KeyCode) {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn char_key(state: &mut State, c: char) {
    key(state, KeyCode::Char(c));
}

/// The field editor open on an empty answer, the cursor on the row that adds a `field` value.
fn on_field(task: &str, paragraph: &str, field: &str) -> State {
    let mut state = common::tui_state(task, paragraph, 160, 48);
    update(&mut state, Action::Command(Command::Run));
    common::finish_run(&mut state, Side::Main, "");
    update(&mut state, Action::Command(Command::EditFields));
    let target = Row::Add { field: field.into() };
    for _ in 0..64 {
        let form = state.correction.form().expect("the form is open");
        let rows = retort::tui::form::rows(state.task(), &form.extraction, form.record);
        if rows.get(form.row) == Some(&target) {
            return state;
        }
        char_key(&mut state, 'j');
    }
    panic!("no row adds {field}");
}

fn selected(state: &State) -> Option<(usize, usize)> {
    let selection = state.correction.form()?.selecting.as_ref()?;
    Some((selection.first, selection.last))
}

/// The words `value` covers, the first time it appears as whole words.
fn word_run(paragraph: &str, value: &str) -> Option<(usize, usize)> {
    let spans = words(paragraph);
    (0..spans.len()).find_map(|first| {
        (first..spans.len())
            .take_while(|last| spans[*last].end - spans[first].start <= value.len())
            .find(|last| paragraph[spans[first].start..spans[*last].end] == *value)
            .map(|last| (first, last))
    })
}

/// Keys with word steps only; the committed value must be `value`.
fn by_words(task: &str, paragraph: &str, field: &str, value: &str, (first, last): (usize, usize)) -> usize {
    let mut state = on_field(task, paragraph, field);
    char_key(&mut state, 'v');
    (0..first).for_each(|_| char_key(&mut state, 'w'));
    (first..last).for_each(|_| char_key(&mut state, 'W'));
    assert_eq!(selected(&state), Some((first, last)));
    key(&mut state, KeyCode::Enter);
    check(&state, field, value);
    2 + first + (last - first)
}

/// Keys with search and names, the fewest over how many letters are typed (a reviewer types
/// a few, then Tab to the next match); the committed value must be `value`.
fn by_search(task: &str, paragraph: &str, field: &str, value: &str, run: (usize, usize)) -> usize {
    (1..=value.chars().count().min(12))
        .filter_map(|letters| typing(task, paragraph, field, value, run, letters))
        .min()
        .unwrap_or_else(|| panic!("{value:?} is never found"))
}

/// `v`, `/`, the first `letters` of the value, `Tab` until the match is the value's first word,
/// then `Enter` or (for more words) `Esc`, `e`, `W`/`B`, `Enter`.
fn typing(
    task: &str,
    paragraph: &str,
    field: &str,
    value: &str,
    (first, last): (usize, usize),
    letters: usize,
) -> Option<usize> {
    let mut state = on_field(task, paragraph, field);
    char_key(&mut state, 'v');
    char_key(&mut state, '/');
    let mut keys = 2 + letters;
    value.chars().take(letters).for_each(|c| char_key(&mut state, c));
    while selected(&state)?.0 != first {
        key(&mut state, KeyCode::Tab);
        keys += 1;
        if keys > 60 {
            return None;
        }
    }
    if selected(&state)?.1 != last {
        key(&mut state, KeyCode::Esc);
        keys += 1;
        if selected(&state)?.1 < last {
            char_key(&mut state, 'e');
            keys += 1;
        }
        while let Some((_, l)) = selected(&state).filter(|(_, l)| *l != last) {
            char_key(&mut state, if l < last { 'W' } else { 'B' });
            keys += 1;
        }
    }
    key(&mut state, KeyCode::Enter);
    check(&state, field, value);
    Some(keys + 1)
}

/// Gestures with the mouse: wheel notches until the value's words are on screen, a press on the
/// first word (dragged to the last when there are several) and `Enter`.
fn by_mouse(task: &str, paragraph: &str, field: &str, value: &str, (first, last): (usize, usize)) -> usize {
    let mut state = on_field(task, paragraph, field);
    let spans = words(paragraph);
    let mut gestures = 0;
    let (from, to) = loop {
        match (
            cell_for(&state, spans[first].start),
            cell_for(&state, spans[last].start),
        ) {
            (Some(from), Some(to)) => break (from, to),
            // The form opens at the top of the source: what is not shown is below.
            _ => {
                let source = cell_for_pane(&state);
                mouse(&mut state, MouseEventKind::ScrollDown, source);
                gestures += 1;
                assert!(gestures < 100, "{value:?} never comes on screen");
            }
        }
    };
    mouse(&mut state, MouseEventKind::Down(MouseButton::Left), from);
    if to != from {
        mouse(&mut state, MouseEventKind::Drag(MouseButton::Left), to);
    }
    mouse(&mut state, MouseEventKind::Up(MouseButton::Left), to);
    assert_eq!(selected(&state), Some((first, last)), "{value:?}");
    key(&mut state, KeyCode::Enter);
    check(&state, field, value);
    gestures + 2
}

fn mouse(state: &mut State, kind: MouseEventKind, (column, row): (u16, u16)) {
    let event = MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    update(state, Action::Tick(Instant::now()));
    update(state, Action::Mouse(event));
}

/// The source pane's area.
fn source_area(state: &State) -> ratatui::layout::Rect {
    let (_, panes) = screen::panes(state, screen::regions(state).main);
    panes
        .into_iter()
        .find(|(pane, _)| *pane == retort::tui::state::Pane::Source)
        .map(|(_, area)| area)
        .expect("the source is shown")
}

/// A cell inside the source pane's text, for the wheel.
fn cell_for_pane(state: &State) -> (u16, u16) {
    let text = screen::source_text(state, source_area(state));
    (text.body.x, text.body.y)
}

/// The cell showing `byte`, if it is on screen (checked with `screen::point`).
fn cell_for(state: &State, byte: usize) -> Option<(u16, u16)> {
    use unicode_width::UnicodeWidthStr;
    let text = screen::source_text(state, source_area(state));
    let row = retort::tui::wrap::row_of(&text.rows, byte);
    if row < text.top || row >= text.top + text.body.height as usize {
        return None;
    }
    let paragraph = state.paragraph();
    let column = paragraph[text.rows[row].start..byte].width() as u16;
    let cell = (text.body.x + column, text.body.y + (row - text.top) as u16);
    (screen::point(state, cell.0, cell.1) == Some(screen::Point::Source(byte))).then_some(cell)
}

fn check(state: &State, field: &str, value: &str) {
    let form = state.correction.form().expect("the form is open");
    let texts: Vec<String> = form
        .extraction
        .field_values(0, field)
        .iter()
        .map(|v| v.text.clone())
        .collect();
    assert!(texts.iter().any(|t| t == value), "{value:?} not set: {texts:?}");
}

/// Median and worst of `keys`.
fn summary(keys: &mut [usize]) -> String {
    keys.sort_unstable();
    let within = keys.iter().filter(|k| **k <= 6).count();
    format!(
        "median {:>3}, worst {:>3}, ≤ 6 keys {:>3} of {}",
        keys[keys.len() / 2],
        keys[keys.len() - 1],
        within,
        keys.len()
    )
}

fn count(task_name: &str, file: &str, take_last: bool) {
    let registry = retort::task::Registry::builtin();
    let task = registry.get(task_name).unwrap();
    let (examples, _) = retort::input::read_examples(&common::data(file), task).unwrap();
    let chosen: Vec<_> = if take_last {
        examples.iter().rev().take(PARAGRAPHS).collect()
    } else {
        examples.iter().take(PARAGRAPHS).collect()
    };
    let (mut before, mut after, mut pointing, mut skipped) = (Vec::new(), Vec::new(), Vec::new(), 0);
    for example in chosen {
        let Some(gold) = example.gold.as_deref().and_then(|g| task.parse(g).ok()) else {
            continue;
        };
        for (field, value) in gold.values() {
            let text = value.text.trim();
            if text.is_empty() || !task.is_verbatim(field) || task.field(field).is_none() {
                continue;
            }
            let Some(run) = word_run(&example.input, text) else {
                skipped += 1;
                continue;
            };
            before.push(by_words(task_name, &example.input, field, text, run));
            after.push(by_search(task_name, &example.input, field, text, run));
            pointing.push(by_mouse(task_name, &example.input, field, text, run));
        }
    }
    println!(
        "{task_name}: {} values from the source ({skipped} gold values are not whole words of their paragraph, left out)",
        before.len()
    );
    println!("  word steps:        {}", summary(&mut before));
    println!("  search and names:  {}", summary(&mut after));
    println!("  mouse (gestures):  {}", summary(&mut pointing));
}

/// Time from a key to the redrawn screen while a search is typed on a 2,000-word paragraph.
fn redraw() {
    let sentence = "Then copper nitrate (0.5 g, 2 mmol) was added to the stirred solution at 25 °C. ";
    let mut paragraph = sentence.repeat(2000 / sentence.split_whitespace().count() + 1);
    paragraph.push_str("Finally lithium hydroxide monohydrate was added.");
    let mut state = on_field("compound", &paragraph, "compound");
    let (theme, _) = retort::tui::theme::Theme::load(None, false);
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..20 {
        char_key(&mut state, 'v');
        char_key(&mut state, '/');
        for c in "lithium".chars() {
            let started = Instant::now();
            char_key(&mut state, c);
            terminal
                .draw(|frame| retort::tui::view::render(frame, &state, &theme))
                .unwrap();
            times.push(started.elapsed());
        }
        key(&mut state, KeyCode::Enter);
        key(&mut state, KeyCode::Esc);
    }
    times.sort();
    println!(
        "key to redrawn selection, search typed on a {}-word paragraph (160×48): median {:.2} ms, worst {:.2} ms over {} keys",
        paragraph.split_whitespace().count(),
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
        times.len()
    );
}

fn main() {
    count("compound", "chemsci2024/compound/test_1000.csv", false);
    count("mof-synthesis", "chemsci2024/mof-synthesis/train_329.csv", true);
    redraw();
}
