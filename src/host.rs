//! The machine a detached command (a trainer, vLLM's `run_batch`) runs on: this one, or another
//! over ssh (`--host`; the program is `ssh`, or `RETORT_SSH` when set, e.g. to add options).
//! Every action is a `sh` script run there, so the two differ only in how the script travels.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

#[derive(Debug, Clone)]
pub enum Host {
    Local,
    Ssh { host: String, program: String },
}

/// Which bytes of a file to read.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    Whole,
    /// From this byte offset to the end.
    From(u64),
    /// The last this many bytes.
    Last(u64),
}

/// A string as `sh` reads it, whatever it holds.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// A word of a command shown to be pasted into a shell: as it is when the shell reads it so,
/// quoted otherwise.
pub fn word(text: &str) -> std::borrow::Cow<'_, str> {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(quote(text))
    }
}

impl Host {
    pub fn new(host: Option<&str>) -> Host {
        match host {
            None => Host::Local,
            Some(host) => Host::Ssh {
                host: host.to_string(),
                program: std::env::var("RETORT_SSH").unwrap_or_else(|_| "ssh".into()),
            },
        }
    }

    pub fn name(&self) -> String {
        match self {
            Host::Local => "this machine".into(),
            Host::Ssh { host, .. } => host.clone(),
        }
    }

    fn command(&self, script: &str) -> Command {
        match self {
            Host::Local => {
                let mut command = Command::new("sh");
                command.arg("-c").arg(script);
                command
            }
            Host::Ssh { host, program } => {
                let mut command = Command::new(program);
                command
                    .args(["-o", "BatchMode=yes", "--", host.as_str()])
                    .arg(format!("sh -c {}", quote(script)));
                command
            }
        }
    }

    /// Runs `script` there; its output, or why it could not run.
    pub fn sh(&self, script: &str) -> Result<Output, HostError> {
        self.command(script)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| self.io("running sh on", e))
    }

    fn io(&self, doing: &'static str, source: std::io::Error) -> HostError {
        HostError::Io {
            doing,
            host: self.name(),
            source,
        }
    }

    /// A file's text there, or `None` when it is not there (yet).
    pub fn read(&self, path: &str) -> Result<Option<String>, HostError> {
        let bytes = self.read_part(path, Part::Whole)?;
        Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// Part of a file's bytes there, or `None` when it is not there (yet).
    pub fn read_part(&self, path: &str, part: Part) -> Result<Option<Vec<u8>>, HostError> {
        let reader = match part {
            Part::Whole => "cat".to_string(),
            // tail counts bytes from 1.
            Part::From(offset) => format!("tail -c +{}", offset + 1),
            Part::Last(bytes) => format!("tail -c {bytes}"),
        };
        let out = self.sh(&format!(
            "if [ -f {p} ]; then {reader} {p}; else exit 3; fi",
            p = quote(path)
        ))?;
        match out.status.code() {
            Some(0) => Ok(Some(out.stdout)),
            Some(3) => Ok(None),
            _ => Err(failure(self, &out)),
        }
    }

    /// Starts `command` (a `sh` command line) in `workdir` there, detached (`setsid`: it survives
    /// Retort and the ssh session), its output in `log`; `workdir/pid` gets its process group and
    /// `workdir/exit_status` its status when it ends. Returns the process group once it is known.
    pub fn start_detached(&self, workdir: &str, command: &str, log: &str) -> Result<u32, HostError> {
        let inner = format!("echo $$ > pid; {command} > {} 2>&1; echo $? > exit_status", quote(log));
        let script = format!(
            "cd {} && rm -f pid exit_status && setsid sh -c {} < /dev/null > /dev/null 2>&1 &",
            quote(workdir),
            quote(&inner)
        );
        let out = self.sh(&script)?;
        if !out.status.success() {
            return Err(failure(self, &out));
        }
        let path = format!("{workdir}/pid");
        let started = std::time::Instant::now();
        loop {
            if let Some(text) = self.read(&path)?
                && let Ok(pid) = text.trim().parse()
            {
                return Ok(pid);
            }
            if started.elapsed() > std::time::Duration::from_secs(20) {
                return Err(HostError::NotStarted {
                    host: self.name(),
                    path,
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Whether process `pid` still runs there.
    pub fn alive(&self, pid: u32) -> Result<bool, HostError> {
        Ok(self.sh(&format!("kill -0 {pid}"))?.status.success())
    }

    /// Copies `names` (files and directories under `from`) into `to` there, as a tar stream.
    pub fn send(&self, from: &Path, names: &[&str], to: &str) -> Result<(), HostError> {
        let tar = Command::new("tar")
            .arg("-C")
            .arg(from)
            .arg("-cf")
            .arg("-")
            .args(names)
            .output()
            .map_err(|e| HostError::Pack {
                path: from.display().to_string(),
                detail: e.to_string(),
            })?;
        if !tar.status.success() {
            return Err(HostError::Pack {
                path: from.display().to_string(),
                detail: String::from_utf8_lossy(&tar.stderr).trim().to_string(),
            });
        }
        let mut child = self
            .command(&format!("mkdir -p {t} && tar -C {t} -xf -", t = quote(to)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.io("copying to", e))?;
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(&tar.stdout)
            .map_err(|e| self.io("copying to", e))?;
        let out = child.wait_with_output().map_err(|e| self.io("copying to", e))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(failure(self, &out))
        }
    }
}

/// What went wrong running something on a host.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("{doing} {host}: {source}")]
    Io {
        doing: &'static str,
        host: String,
        source: std::io::Error,
    },
    #[error("the command did not start on {host} within 20 s (no {path})")]
    NotStarted { host: String, path: String },
    #[error("packing {path}: {detail}")]
    Pack { path: String, detail: String },
    #[error("on {host} the script exited with {status}{}", if said.is_empty() { String::new() } else { format!(": {said}") })]
    Script { host: String, status: String, said: String },
}

/// What a script that failed said.
pub fn failure(host: &Host, out: &Output) -> HostError {
    HostError::Script {
        host: host.name(),
        status: out.status.code().map_or("a signal".into(), |c| format!("status {c}")),
        said: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    }
}
