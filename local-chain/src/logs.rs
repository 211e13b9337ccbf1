//! The connectors' warnings and errors on the terminal: their logs go to files, and a thread
//! per log prints the lines at level WARN or ERROR as they are appended.

use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::Duration;

/// Follows `log` from its current end, printing its warnings and errors prefixed by `name`.
pub fn forward_warnings(name: String, log: PathBuf) {
    std::thread::spawn(move || {
        let Ok(mut file) = std::fs::File::open(&log) else {
            return;
        };
        if file.seek(SeekFrom::End(0)).is_err() {
            return;
        }
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => std::thread::sleep(Duration::from_millis(300)),
                Ok(_) if is_warning(&line) => eprint!("{name}: {line}"),
                Ok(_) => {}
            }
        }
    });
}

/// A text log line of `tracing_subscriber`'s format: `<time>  WARN <target>: <message>`.
fn is_warning(line: &str) -> bool {
    let mut words = line.split_whitespace();
    matches!(words.nth(1), Some("WARN" | "ERROR"))
}

#[cfg(test)]
mod tests {
    use super::is_warning;

    #[test]
    fn warnings_and_errors_are_picked_by_their_level() {
        assert!(is_warning(
            "2025-01-01T00:00:00.000Z  WARN mpc_connector::chain: lost the node\n"
        ));
        assert!(is_warning(
            "2025-01-01T00:00:00.000Z ERROR mpc_connector: failed\n"
        ));
        assert!(!is_warning(
            "2025-01-01T00:00:00.000Z  INFO mpc_connector: WARN in a message\n"
        ));
    }
}
