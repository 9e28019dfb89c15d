//! Builds started ahead of the steps that need them, so that the core the test run leaves idle
//! (waiting on moto) compiles what comes later.
//!
//! Invariants: the builds run one after another, in the order given, at the lowest CPU priority
//! (`nice -n 19`), each in a process group of its own with its output in a log under
//! `<target>/ahead/`; a build started ahead is never a verdict: the step that needs it waits for
//! it, then runs its own build, which finds everything fresh (or fails there, with its output
//! shown, whatever happened ahead); dropping an [`Ahead`] stops what is still running, and so
//! does an interrupt or a termination of xtask (the build's own process group does not get the
//! terminal's Ctrl-C).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::run::{Failure, record, target_dir};

/// One build started ahead: what it is (for the log and the timing table) and its command.
pub struct Job {
    pub what: &'static str,
    pub command: Command,
}

/// The builds started ahead, in order; [`Ahead::wait`] waits for one of them. One `Ahead` runs
/// at a time.
pub struct Ahead {
    names: Vec<&'static str>,
    done: Receiver<usize>,
    finished: usize,
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<()>>,
}

/// The process group of the build running ahead (0: none), for the interrupt handler and for
/// [`Ahead`]'s `Drop`. Whoever swaps it to 0 stops that group.
static RUNNING_GROUP: AtomicU32 = AtomicU32::new(0);

/// Sends SIGTERM to the process group `group`.
fn terminate(group: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{group}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// On Ctrl-C or SIGTERM, stops the build running ahead, then exits as an interrupted process.
fn stop_on_interrupt() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            stop_running();
            std::process::exit(130);
        });
    });
}

/// Where a job's output goes.
fn log_path(what: &str) -> PathBuf {
    let slug: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    target_dir().join("ahead").join(format!("{slug}.log"))
}

/// `command` run as `nice -n 19 <program> <args>`, with the same environment and directory, in a
/// process group of its own, its output appended to `log`.
fn niced(command: &Command, log: &std::fs::File) -> std::io::Result<Command> {
    use std::os::unix::process::CommandExt;
    let mut niced = Command::new("nice");
    niced
        .args(["-n", "19"])
        .arg(command.get_program())
        .args(command.get_args())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log.try_clone()?)
        .process_group(0);
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => niced.env(key, value),
            None => niced.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        niced.current_dir(dir);
    }
    Ok(niced)
}

impl Ahead {
    /// Starts `jobs`, one after another, on a thread of their own.
    pub fn start(jobs: Vec<Job>) -> Result<Self, Failure> {
        let dir = target_dir().join("ahead");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Failure(format!("cannot create {}: {e}", dir.display())))?;
        stop_on_interrupt();
        let names: Vec<&'static str> = jobs.iter().map(|job| job.what).collect();
        println!(
            "\n==> started ahead, at the lowest priority: {}",
            names.join("; ")
        );
        let (sender, done) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let worker = std::thread::spawn(move || {
            for (index, job) in jobs.into_iter().enumerate() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let started = Instant::now();
                let ok = run_job(&job, &stopping);
                let took = started.elapsed();
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                record(&format!("ahead, overlapping: {}", job.what), took);
                println!(
                    "\n==> ahead: {} {} ({took:.1?}; log: {})",
                    job.what,
                    if ok { "built" } else { "did not build" },
                    log_path(job.what).display()
                );
                if sender.send(index).is_err() {
                    return;
                }
            }
        });
        Ok(Self {
            names,
            done,
            finished: 0,
            stop,
            worker: Some(worker),
        })
    }

    /// Waits until the job `what` (and every job before it) has ended, recording the wait.
    pub fn wait(&mut self, what: &str) {
        let Some(index) = self.names.iter().position(|name| *name == what) else {
            debug_assert!(false, "nothing named {what} was started ahead");
            return;
        };
        let started = Instant::now();
        while self.finished <= index {
            match self.done.recv() {
                Ok(finished) => self.finished = finished + 1,
                Err(_) => break,
            }
        }
        let waited = started.elapsed();
        if waited >= Duration::from_millis(100) {
            println!("\n==> waited {waited:.1?} for {what}, started ahead");
            record(&format!("waiting for {what} (started ahead)"), waited);
        }
    }
}

/// Runs one job to its end in its own process group, published in [`RUNNING_GROUP`] so it can
/// be stopped meanwhile; answers whether it succeeded. A failure to start is written to its log.
fn run_job(job: &Job, stopping: &AtomicBool) -> bool {
    let started = std::fs::File::create(log_path(job.what)).and_then(|mut log| {
        let child = niced(&job.command, &log).and_then(|mut command| command.spawn());
        if let Err(e) = &child {
            let _ = writeln!(log, "could not start {:?}: {e}", job.command);
        }
        child
    });
    let Ok(mut child) = started else {
        return false;
    };
    RUNNING_GROUP.store(child.id(), Ordering::SeqCst);
    if stopping.load(Ordering::SeqCst) {
        stop_running();
    }
    let ok = child.wait().is_ok_and(|status| status.success());
    RUNNING_GROUP.store(0, Ordering::SeqCst);
    ok
}

/// Stops the build running ahead, if any.
fn stop_running() {
    let group = RUNNING_GROUP.swap(0, Ordering::SeqCst);
    if group != 0 {
        terminate(group);
    }
}

impl Drop for Ahead {
    /// Stops the job still running (its whole process group) and starts no other.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        stop_running();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One `Ahead` at a time (the running group is process-wide).
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn job(what: &'static str, script: &str) -> Job {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        Job { what, command }
    }

    #[test]
    fn jobs_run_in_order_and_waiting_for_one_waits_for_those_before_it() {
        let _one = ONE_AT_A_TIME.lock();
        let dir = tempfile_dir("order");
        let first = format!("sleep 1; echo first >> {}/order", dir.display());
        let second = format!("echo second >> {}/order", dir.display());
        let mut ahead = Ahead::start(vec![
            job("ahead test: first", &first),
            job("ahead test: second", &second),
        ])
        .unwrap();
        ahead.wait("ahead test: second");
        let order = std::fs::read_to_string(dir.join("order")).unwrap();
        assert_eq!(order, "first\nsecond\n");
    }

    #[test]
    fn dropping_an_ahead_stops_the_build_it_runs_and_starts_no_other() {
        let _one = ONE_AT_A_TIME.lock();
        let dir = tempfile_dir("drop");
        let running = format!(
            "trap 'echo stopped > {0}/stopped; exit 1' TERM; echo $$ > {0}/pid; sleep 600 & wait",
            dir.display()
        );
        let never = format!("touch {}/started", dir.display());
        let ahead = Ahead::start(vec![
            job("ahead test: long", &running),
            job("ahead test: never", &never),
        ])
        .unwrap();
        let pid_file = dir.join("pid");
        while !std::fs::read_to_string(&pid_file).is_ok_and(|p| p.ends_with('\n')) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        drop(ahead);
        assert!(
            dir.join("stopped").exists(),
            "the running build got SIGTERM"
        );
        assert!(!PathBuf::from(format!("/proc/{}", pid.trim())).exists());
        assert!(!dir.join("started").exists(), "no later build started");
    }

    fn tempfile_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hocphi-ahead-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
