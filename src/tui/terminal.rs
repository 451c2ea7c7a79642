//! The terminal's modes around the workbench: entering (raw mode, the alternate screen, bracketed
//! paste), leaving them on every way out, suspending to the shell and coming back, and the
//! signals that ask for these (SIGTERM, SIGHUP and SIGINT quit; SIGTSTP suspends; SIGCONT
//! after a stop the workbench could not see, `kill -STOP`, puts the modes back).

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture};
use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen, enable_raw_mode};
use ratatui::DefaultTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Whether the workbench asked the terminal for mouse events (to ask again after a suspend, and
/// to stop on the way out).
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Raw mode, the alternate screen, bracketed paste and, with `mouse`, mouse reports (ratatui's
/// panic hook restores the first two; `leave` the rest).
pub fn enter(mouse: bool) -> std::io::Result<DefaultTerminal> {
    let terminal = ratatui::init();
    crossterm::execute!(std::io::stdout(), EnableBracketedPaste)?;
    MOUSE.store(mouse, Ordering::Relaxed);
    if mouse {
        crossterm::execute!(std::io::stdout(), EnableMouseCapture)?;
    }
    Ok(terminal)
}

/// The shell's terminal back: cooked mode, the main screen, no bracketed paste, no mouse reports.
pub fn leave() {
    if MOUSE.load(Ordering::Relaxed) {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
    }
    let _ = crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
}

/// Leaves the terminal as the shell expects, stops the process as a shell's suspend does, and,
/// once continued (`fg`), takes the terminal again and draws everything anew.
pub fn suspend(terminal: &mut DefaultTerminal) -> std::io::Result<()> {
    leave();
    // SAFETY: raise only sends a signal to this process. SIGSTOP (not SIGTSTP, which the
    // workbench handles itself) stops it until the shell continues it.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    resume(terminal)
}

/// Takes the terminal again after a stop and clears it, so the next frame is drawn whole. (Not
/// `Terminal::clear`: it asks the terminal where its cursor is, and the answer would go to the
/// input reader instead.)
pub fn resume(terminal: &mut DefaultTerminal) -> std::io::Result<()> {
    enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        Clear(ClearType::All)
    )?;
    if MOUSE.load(Ordering::Relaxed) {
        crossterm::execute!(std::io::stdout(), EnableMouseCapture)?;
    }
    *terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(std::io::stdout()))?;
    Ok(())
}

/// The signals the workbench answers.
pub struct Signals {
    quit: [Signal; 3],
    suspend: Signal,
    cont: Signal,
}

/// What a signal asks for.
pub enum Asked {
    Quit(&'static str),
    Suspend,
    Resume,
}

impl Signals {
    pub fn listen() -> std::io::Result<Signals> {
        Ok(Signals {
            quit: [
                signal(SignalKind::terminate())?,
                signal(SignalKind::hangup())?,
                signal(SignalKind::interrupt())?,
            ],
            suspend: signal(SignalKind::from_raw(libc::SIGTSTP))?,
            cont: signal(SignalKind::from_raw(libc::SIGCONT))?,
        })
    }

    pub async fn next(&mut self) -> Asked {
        let [term, hup, int] = &mut self.quit;
        tokio::select! {
            _ = term.recv() => Asked::Quit("SIGTERM"),
            _ = hup.recv() => Asked::Quit("SIGHUP"),
            _ = int.recv() => Asked::Quit("SIGINT"),
            _ = self.suspend.recv() => Asked::Suspend,
            _ = self.cont.recv() => Asked::Resume,
        }
    }
}
