//! Copy over SSH: the OSC 52 escape sequence. Terminals do not acknowledge it, so the workbench
//! says "sent", not "copied". Inside tmux the plain sequence is what tmux itself takes (with
//! `set -g set-clipboard on` it makes a paste buffer and sets the outer terminal's clipboard);
//! the same sequence wrapped in tmux's passthrough follows it, for `allow-passthrough on`.

use base64::Engine;

/// The bytes that ask the terminal to put `text` on the clipboard.
pub fn osc52(text: &str, in_tmux: bool) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let sequence = format!("\x1b]52;c;{encoded}\x07");
    if in_tmux {
        // The passthrough form: a DCS sequence whose inner ESCs are doubled.
        let wrapped = format!("\x1bPtmux;{}\x1b\\", sequence.replace('\x1b', "\x1b\x1b"));
        format!("{sequence}{wrapped}")
    } else {
        sequence
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_tmux_sequences() {
        assert_eq!(osc52("hi", false), "\x1b]52;c;aGk=\x07");
        assert_eq!(
            osc52("hi", true),
            "\x1b]52;c;aGk=\x07\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\"
        );
    }
}
