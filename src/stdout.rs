//! Standard output, whose reader may go away (`retort models | head`, `retort extract … | head -3`):
//! a write to the closed pipe is an error here, not the panic `println!` makes of it, and `main`
//! then ends quietly with success, as Unix filters do. Only writes through this module are watched,
//! so a broken pipe to a server is never mistaken for the reader leaving.
//!
//! Both streams are where strings from outside reach a terminal (a model id, a server's message,
//! a file name): control characters are taken out of everything written to standard error, and
//! out of standard output when it is a terminal (`foreign::printable`). Standard error goes
//! through `errln!` for that; `eprintln!` is forbidden by clippy.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static READER_GONE: AtomicBool = AtomicBool::new(false);

/// Standard output as a writer; a closed pipe is remembered for [`reader_gone`].
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        noted(io::stdout().lock().write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        noted(io::stdout().lock().flush())
    }
}

fn noted<T>(result: io::Result<T>) -> io::Result<T> {
    if let Err(e) = &result
        && e.kind() == io::ErrorKind::BrokenPipe
    {
        READER_GONE.store(true, Ordering::Relaxed);
    }
    result
}

/// Whether a write to standard output found its reader gone.
pub fn reader_gone() -> bool {
    READER_GONE.load(Ordering::Relaxed)
}

/// Writes `text` to standard output and flushes it.
pub fn write(text: &str) -> io::Result<()> {
    use std::io::IsTerminal;
    let text = if io::stdout().is_terminal() {
        crate::foreign::printable(text)
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let mut out = Stdout;
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes `text` to standard error without its control characters; a failed write is ignored,
/// as `eprintln!` would panic on it and there is nowhere left to say it.
pub fn write_err(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(crate::foreign::printable(text).as_bytes());
    let _ = err.flush();
}

/// `println!` that returns the write's error: `outln!("{id}")?`.
macro_rules! outln {
    () => {
        $crate::stdout::write("\n")
    };
    ($($arg:tt)*) => {
        $crate::stdout::write(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that returns the write's error.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::stdout::write(&format!($($arg)*))
    };
}

/// `eprintln!` for text that may hold strings from outside: control characters are taken out.
macro_rules! errln {
    () => {
        $crate::stdout::write_err("\n")
    };
    ($($arg:tt)*) => {
        $crate::stdout::write_err(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, out, outln};
