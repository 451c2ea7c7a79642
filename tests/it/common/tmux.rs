//! A tmux server of its own per test: start the real binary in a terminal of a given size,
//! send keys, read the screen.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux must be installed (apt-get install tmux)")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "w"]).stdout).into_owned()
    }

    pub fn screen_with_styles(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-e", "-t", "w"]).stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "w"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    /// Waits until the screen shows `text`, returning the screen.
    pub fn wait_for(&self, text: &str, seconds: u64) -> String {
        self.wait_for_without(text, None, seconds)
    }

    /// Waits until the screen shows `text` and, when given, no longer shows `gone`.
    pub fn wait_for_without(&self, text: &str, gone: Option<&str>, seconds: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let screen = self.screen();
            if screen.contains(text) && gone.is_none_or(|g| !screen.contains(g)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?} without {gone:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Tmux {
    /// Starts session `w` of `width` × `height` running `command`.
    pub fn start(&self, width: u16, height: u16, command: &str) {
        let (w, h) = (width.to_string(), height.to_string());
        let started = self.run(&["new-session", "-d", "-s", "w", "-x", &w, "-y", &h, command]);
        assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The environment that puts Retort's config, data and state directories under `dir`.
pub fn env_line(dir: &Path) -> String {
    format!(
        "RETORT_CONFIG_DIR={0}/config RETORT_DATA_DIR={0}/data RETORT_STATE_DIR={0}/state",
        dir.display()
    )
}

impl Tmux {
    /// Waits until session `w` has ended (its program quit or was killed).
    pub fn wait_until_gone(&self, seconds: u64) {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while self.run(&["has-session", "-t", "w"]).status.success() {
            assert!(Instant::now() < deadline, "the session did not end:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
