//! Progress bars for the long stages (README, "Commands"), on a terminal only: when standard error is not a
//! terminal, or the logs are JSON, every bar is hidden and costs nothing. Log lines are printed above
//! the bars (`LogWriter`), never through them.

use std::io::Write;
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

static BARS: OnceLock<Option<MultiProgress>> = OnceLock::new();

/// Switches bars on (once, at start-up).
pub fn enable(on: bool) {
    let _ = BARS.set(on.then(MultiProgress::new));
}

fn bars() -> Option<&'static MultiProgress> {
    BARS.get().and_then(Option::as_ref)
}

/// A bar of `len` steps labelled `what`; hidden unless enabled.
pub fn bar(len: usize, what: &str) -> ProgressBar {
    let Some(multi) = bars() else { return ProgressBar::hidden() };
    let bar = multi.add(ProgressBar::new(len as u64));
    let style = ProgressStyle::with_template("{msg:24} [{bar:32}] {pos}/{len} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar
}

/// Where log lines go: standard error, above any bar.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match bars() {
            Some(multi) => multi.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        *self
    }
}
