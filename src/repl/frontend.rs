//! The terminal side of the REPL: rustyline for editing, history and completion; Ctrl-C
//! cancels a running query; Ctrl-D leaves. Everything else is the [`Session`]'s.
//!
//! History is appended to, as readline does: each session adds its own new lines to the file
//! (under rustyline's file lock), so two sessions never overwrite each other's. Output that
//! cannot be written ends the session: quietly when the reader closed the pipe, with one line
//! and exit code 74 when the disk is full.

use super::{Reply, Session, complete_word};
use crate::cli::{to_stderr, write_stdout};
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};
use std::path::PathBuf;

/// Completion over the session's words; refreshed after every entry.
struct WordHelper {
    variables: Vec<String>,
}

impl Completer for WordHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |i| i + 1);
        Ok((start, complete_word(&before[start..], &self.variables)))
    }
}

impl Hinter for WordHelper {
    type Hint = String;
}
impl Highlighter for WordHelper {}
impl Validator for WordHelper {}
impl Helper for WordHelper {}

/// Where history is kept: `$XDG_DATA_HOME/whatif/history`, else `~/.local/share/whatif/history`.
fn history_path() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("whatif").join("history"))
}

/// Runs the interactive loop; returns the exit code.
pub fn run(file: Option<PathBuf>) -> i32 {
    let mut session = Session::new();
    session.show_timing(true);
    let mut editor: Editor<WordHelper, DefaultHistory> = match Editor::new() {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("whatif: cannot start the line editor: {e}");
            return 2;
        }
    };
    editor.set_helper(Some(WordHelper {
        variables: Vec::new(),
    }));
    let history = history_path();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    // Ctrl-C while a query runs stops it at the next chunk; at the prompt rustyline sees it.
    let cancel = session.cancel_token();
    let _ = ctrlc::set_handler(move || cancel.cancel());
    let code = converse(&mut editor, &mut session, file).err().unwrap_or(0);
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.append_history(path);
    }
    code
}

/// The session's loop, until Ctrl-D, `:quit` or output that cannot be written (`Err` carries
/// the exit code).
fn converse(
    editor: &mut Editor<WordHelper, DefaultHistory>,
    session: &mut Session,
    file: Option<PathBuf>,
) -> Result<(), i32> {
    write_stdout(&format!(
        "whatif {} — :help for commands, Ctrl-D to leave\n",
        env!("CARGO_PKG_VERSION")
    ))?;
    if let Some(path) = file {
        write_stdout(&session.load(path))?;
    }
    loop {
        if let Some(helper) = editor.helper_mut() {
            helper.variables = session.variables();
        }
        match editor.readline(&session.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                match session.feed(&line) {
                    Reply::Output(text) => write_stdout(&text)?,
                    Reply::More => {}
                    Reply::Quit => return Ok(()),
                }
            }
            Err(ReadlineError::Interrupted) => {
                session.discard_pending();
                write_stdout("^C\n")?;
            }
            Err(ReadlineError::Eof) => return Ok(()),
            // The prompt goes to a closed pipe: end quietly.
            Err(ReadlineError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                return Err(0);
            }
            Err(e) => {
                to_stderr(&format!("whatif: {e}\n"));
                return Ok(());
            }
        }
    }
}
