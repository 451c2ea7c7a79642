//! A runaway answer: a small model that has lost its way writes the same few words again and
//! again (`ether | water | ether | water | …`) until the token limit. Found as it is written, so
//! the engine stops it early and the run says it is incomplete.

/// The longest repeated unit looked for, in bytes.
const MAX_PERIOD: usize = 64;
/// A unit must repeat this many times in a row…
const REPEATS: usize = 5;
/// …over at least this many bytes (so that `----` or a short doubled word is not a runaway).
const MIN_SPAN: usize = 80;

/// Where to cut `text` when it ends in a runaway repetition: after the first of the repeated
/// units (at a character boundary); `None` when it does not.
pub fn runaway(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (1..=MAX_PERIOD).find_map(|period| {
        let span = (period * REPEATS).max(MIN_SPAN);
        if bytes.len() < span {
            return None;
        }
        let mut start = bytes.len() - span;
        let periodic = (start + period..bytes.len()).all(|i| bytes[i] == bytes[i - period]);
        periodic.then(|| {
            // Back to where the repetition began (a whole reply found it late).
            while start > 0 && bytes[start - 1] == bytes[start - 1 + period] {
                start -= 1;
            }
            let mut cut = start + period;
            while !text.is_char_boundary(cut) {
                cut += 1;
            }
            cut
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_looping_list_is_cut_after_its_first_round() {
        let text = format!("THF | {}", "ether | water | ".repeat(6));
        let cut = runaway(&text).expect("a runaway");
        assert_eq!(&text[..cut], "THF | ether | water");
    }

    #[test]
    fn real_answers_are_not_runaways() {
        let answer = "1-acetyl-5-bromo-7-chloroindoline | NaH | THF | ethyl acetate | hexane | water | brine | MgSO4";
        assert_eq!(runaway(answer), None);
        assert_eq!(runaway("water | water | water"), None);
        assert_eq!(runaway(&"-".repeat(40)), None);
        assert!(runaway(&"é".repeat(60)).is_some_and(|cut| "é".repeat(60).is_char_boundary(cut)));
    }
}
