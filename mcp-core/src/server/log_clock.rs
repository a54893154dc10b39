//! When a request started, for the `elapsed_ms` field of its log lines.

use std::time::Instant;

/// When a request started, for the `elapsed_ms` field of the lines that log its end.
///
/// The clock is read only when such lines can be written at all (some target logs at `INFO`):
/// most servers log at `WARN` or above under load, and reading the clock twice per request was
/// a cost nobody saw (see `examples/bench`). The session and the HTTP transport both time
/// their requests with it.
///
/// ```
/// use mcp_connector_core::LogClock;
///
/// let started = LogClock::start();
/// // No subscriber logs at INFO here: the clock was not read, and nothing has elapsed.
/// assert_eq!(started.elapsed_ms(), 0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LogClock(Option<Instant>);

impl LogClock {
    /// Now, when lines at `INFO` can be written; otherwise a clock that reads 0.
    pub fn start() -> Self {
        let logged = tracing::level_filters::LevelFilter::current() >= tracing::Level::INFO;
        LogClock(logged.then(Instant::now))
    }

    /// Milliseconds since [`LogClock::start`]; 0 when the clock was not read.
    pub fn elapsed_ms(self) -> u64 {
        self.0.map_or(0, |started| started.elapsed().as_millis() as u64)
    }
}
