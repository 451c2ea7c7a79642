//! `tests/fixtures/chemsci/expected.json` is what `notebook_figures.py` (the Chem. Sci.
//! notebooks' evaluation, run with pandas, seqeval, textdistance and nltk) prints today: a figure
//! that drifts, in the file or in the script, fails here; `fast::fidelity_chemsci` holds Retort's
//! `eval` to the file. The Python packages come from `./test.sh` (scripts/setup/test-tools.sh,
//! `setup_python_notebooks`), which names their directory in RETORT_NOTEBOOK_PYTHONPATH.

use serde_json::Value;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chemsci")
}

/// Every number of `a` equals the one at the same place in `b` to 1e-12; everything else is equal.
fn assert_same(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys = |o: &serde_json::Map<String, Value>| o.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(a), keys(b), "{at}");
            for (key, value) in a {
                assert_same(value, &b[key], &format!("{at}/{key}"));
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-12,
                "{at}: the script prints {x}, expected.json holds {y}"
            );
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn expected_figures_are_what_the_notebooks_code_prints() {
    let packages = std::env::var("RETORT_NOTEBOOK_PYTHONPATH")
        .expect("RETORT_NOTEBOOK_PYTHONPATH: run through ./test.sh, which installs the notebooks' packages");
    let output = std::process::Command::new("python3")
        .arg(fixtures().join("notebook_figures.py"))
        .env("PYTHONPATH", packages)
        .output()
        .expect("python3");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap();
    assert_same(&printed, &committed, "expected.json");
}
