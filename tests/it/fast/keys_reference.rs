//! One source for the keys: `docs/keys.md` is the key map written out, and the hints name the
//! first key the map writes for a command, the one the docs name.

use retort::tui::command::Command;
use retort::tui::keymap::{Keymap, Scope};
use std::path::PathBuf;

#[test]
fn keys_reference_is_the_key_map() {
    let (map, error) = Keymap::load(None);
    assert_eq!(error, None);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/keys.md");
    let generated = map.reference();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == generated,
        "docs/keys.md differs from the key map: run `UPDATE_DOCS=1 cargo test --test it keys_reference`"
    );
    assert!(generated.contains("| `w` `l` `right` | `word-next` |"), "{generated}");
}

#[test]
fn hints_name_the_keys_the_docs_name() {
    let (map, _) = Keymap::load(None);
    let docs = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/review.md")).unwrap();
    // The sentence of docs/review.md on choosing words, and the hint bar's keys for the same commands.
    assert!(docs.contains("`w`/`b` move by word"));
    assert!(docs.contains("`W`/`B` take one more or one less"));
    for (command, key) in [
        (Command::WordNext, "w"),
        (Command::WordPrev, "b"),
        (Command::ExtendSelection, "W"),
        (Command::ShrinkSelection, "B"),
    ] {
        assert_eq!(map.key_for(Scope::Select, command).as_deref(), Some(key), "{command:?}");
    }
    // A user's key for a command comes after the defaults: the hints keep the default's.
    let (map, _) = Keymap::load(Some("[select]\n\"x\" = \"word-next\"\n"));
    assert_eq!(map.key_for(Scope::Select, Command::WordNext).as_deref(), Some("w"));
}
