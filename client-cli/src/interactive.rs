//! The line editor for people: history, Tab completion from the live game,
//! a prompt with the round, phase and time left (kept current while a line
//! is typed), and printing of incoming messages above the line being typed
//! (without garbling it).

use crate::app::{Printer, Shared};
use crate::command;
use crate::render;
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, ExternalPrinter, Helper};
use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

struct Complete {
    shared: Arc<Mutex<Shared>>,
}

impl Completer for Complete {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let upto = &line[..pos];
        let start = upto.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let before: Vec<&str> = upto[..start].split_whitespace().collect();
        let shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let found = command::completions(
            &before,
            &upto[start..],
            shared.view.as_ref(),
            shared.catalog.as_deref(),
        );
        Ok((start, found))
    }
}

impl Hinter for Complete {
    type Hint = String;
}
impl Highlighter for Complete {
    /// The prompt as the game is now, not as it was when the line began:
    /// drawn again whenever a message is printed above the line or the line
    /// is edited, so the phase and the clock do not wait for Enter. Only at
    /// the width the editor measured when the line began (the status keeps
    /// one width, see [`render::prompt`]); otherwise, and for the editor's
    /// own prompts (a history search), the prompt as given.
    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        default: bool,
    ) -> Cow<'b, str> {
        if !default {
            return Cow::Borrowed(prompt);
        }
        let shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let live = render::prompt(shared.view.as_ref(), render::now_ms());
        if live.chars().count() == prompt.chars().count() {
            Cow::Owned(live)
        } else {
            Cow::Borrowed(prompt)
        }
    }
}
impl Validator for Complete {}
impl Helper for Complete {}

/// Start the editor on its own thread. Lines arrive on the channel; `None`
/// when the user leaves (Ctrl-D or Ctrl-C). Returns the printer to use for
/// everything else.
pub fn start(
    shared: Arc<Mutex<Shared>>,
) -> anyhow::Result<(Printer, mpsc::UnboundedReceiver<Option<String>>)> {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(true)
        .max_history_size(500)?
        .build();
    let mut editor: Editor<Complete, DefaultHistory> = Editor::with_config(config)?;
    editor.set_helper(Some(Complete {
        shared: shared.clone(),
    }));
    let mut external = editor.create_external_printer()?;
    let printer: Printer = Box::new(move |text: String| {
        // Long lines are cut between words, not by the terminal's edge.
        let mut text: String = text
            .split('\n')
            .flat_map(crate::render::fit)
            .collect::<Vec<_>>()
            .join("\n");
        // Outside raw mode the printer writes the text as it is.
        text.push('\n');
        if external.print(text.clone()).is_err() {
            print!("{text}");
        }
    });
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || loop {
        // The first prompt waits until the game is entered.
        while shared.lock().map(|s| s.prompt.is_empty()).unwrap_or(false) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let prompt = shared
            .lock()
            .map(|s| s.prompt.clone())
            .unwrap_or_else(|_| "> ".into());
        match editor.readline(&prompt) {
            Ok(line) => {
                let sent = match shared.lock() {
                    Ok(mut s) => {
                        s.lines_sent += 1;
                        s.lines_sent
                    }
                    Err(_) => return,
                };
                if tx.send(Some(line)).is_err() {
                    return;
                }
                // The next prompt shows the game as the answer left it:
                // wait for the answer (for a while; a slow or absent server
                // must not take the keyboard away).
                let since = std::time::Instant::now();
                while since.elapsed() < std::time::Duration::from_secs(2)
                    && shared.lock().map(|s| s.lines_done < sent).unwrap_or(false)
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
            Err(ReadlineError::Interrupted) | Err(ReadlineError::Eof) => {
                let _ = tx.send(None);
                return;
            }
            Err(_) => {
                let _ = tx.send(None);
                return;
            }
        }
    });
    Ok((printer, rx))
}
