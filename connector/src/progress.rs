//! Progress of the first run's slow step, the parties' ECDSA Paillier primes (tens of seconds to
//! minutes of CPU per party, once): on a terminal, a spinner per party with its elapsed time
//! (indicatif); elsewhere (a log, CI, a pipe) plain lines when each party starts and ends, and a
//! line every [`HEARTBEAT`] naming who is still working, so a long step never looks stuck.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Between two "still working" lines in plain mode.
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    /// Spinners on standard error (a terminal).
    Spinners,
    /// Lines through the caller's sink.
    Lines,
}

impl Display {
    /// Spinners when standard error is a terminal, lines otherwise.
    pub fn for_stderr() -> Self {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            Display::Spinners
        } else {
            Display::Lines
        }
    }
}

/// Runs `jobs` (one per named party) together, showing `what` each is doing and how long it
/// took; lines go to `line`. Returns their results in order, or the first error.
pub async fn track<T, E, F>(
    what: &str,
    jobs: Vec<(String, F)>,
    display: Display,
    line: &(dyn Fn(&str) + Sync),
) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    let bars = match display {
        Display::Spinners => MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        Display::Lines => MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
    };
    let style = ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
        .expect("a valid template");
    let names: Vec<String> = jobs.iter().map(|(name, _)| name.clone()).collect();
    let running = std::sync::Mutex::new(names.clone());
    let tracked = jobs.into_iter().map(|(name, job)| {
        let bar = bars.add(ProgressBar::new_spinner());
        bar.set_style(style.clone());
        bar.set_prefix(name.clone());
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        if display == Display::Lines {
            line(&format!("{name}: {what}"));
        }
        let running = &running;
        async move {
            let result = job.await;
            let seconds = started.elapsed().as_secs();
            let outcome = if result.is_ok() { "done" } else { "failed" };
            bar.finish_with_message(format!("{what}: {outcome} after {seconds} s"));
            if display == Display::Lines {
                line(&format!("{name}: {what}: {outcome} after {seconds} s"));
            }
            running.lock().expect("running list").retain(|n| n != &name);
            result
        }
    });
    let all = futures::future::try_join_all(tracked);
    tokio::pin!(all);
    let mut heartbeat =
        tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    loop {
        tokio::select! {
            results = &mut all => return results,
            _ = heartbeat.tick(), if display == Display::Lines => {
                let waiting = running.lock().expect("running list").join(", ");
                line(&format!(
                    "{what}: still working after {} s ({waiting})",
                    started.elapsed().as_secs()
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[tokio::test(start_paused = true)]
    async fn plain_lines_name_each_party_its_time_and_who_is_still_working() {
        let lines = Mutex::new(Vec::new());
        let sink = |l: &str| lines.lock().unwrap().push(l.to_string());
        let job = |secs: u64| async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            Ok::<_, String>(secs)
        };
        let results = track(
            "making primes",
            vec![
                ("party-0".to_string(), job(10)),
                ("party-1".to_string(), job(40)),
            ],
            Display::Lines,
            &sink,
        )
        .await;

        assert_eq!(results, Ok(vec![10, 40]));
        let lines = lines.into_inner().unwrap();
        assert_eq!(
            lines,
            vec![
                "party-0: making primes",
                "party-1: making primes",
                "party-0: making primes: done after 10 s",
                "making primes: still working after 15 s (party-1)",
                "making primes: still working after 30 s (party-1)",
                "party-1: making primes: done after 40 s",
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_is_reported_and_returned() {
        let lines = Mutex::new(Vec::new());
        let sink = |l: &str| lines.lock().unwrap().push(l.to_string());
        let results: Result<Vec<()>, String> = track(
            "making primes",
            vec![("party-0".to_string(), async {
                Err("no entropy".to_string())
            })],
            Display::Lines,
            &sink,
        )
        .await;
        assert_eq!(results, Err("no entropy".to_string()));
        assert!(lines
            .lock()
            .unwrap()
            .contains(&"party-0: making primes: failed after 0 s".to_string()));
    }
}
