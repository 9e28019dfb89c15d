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
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::run::{Failure, record, target_dir};

/// One build started ahead: what it is (for the log and the timing table) and its command.
pub struct Job {
    pub what: &'static str,
    pub command: Command,
}

/// The builds started ahead, in order; [`Ahead::wait`] waits for one of them.
pub struct Ahead {
    names: Vec<&'static str>,
    done: Receiver<usize>,
    finished: usize,
    running: Arc<Mutex<Option<Child>>>,
    stop: Arc<Mutex<bool>>,
    worker: Option<JoinHandle<()>>,
}

/// The process group of the build running ahead (0: none), for the interrupt handler.
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
            let group = RUNNING_GROUP.swap(0, Ordering::SeqCst);
            if group != 0 {
                terminate(group);
            }
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
        let running = Arc::new(Mutex::new(None::<Child>));
        let stop = Arc::new(Mutex::new(false));
        let (running_, stop_) = (Arc::clone(&running), Arc::clone(&stop));
        let worker = std::thread::spawn(move || {
            for (index, job) in jobs.into_iter().enumerate() {
                let child = {
                    let mut running = running_.lock().unwrap_or_else(PoisonError::into_inner);
                    if *stop_.lock().unwrap_or_else(PoisonError::into_inner) {
                        return;
                    }
                    let log = log_path(job.what);
                    let spawned = std::fs::File::create(&log).and_then(|mut file| {
                        let started = niced(&job.command, &file).and_then(|mut c| c.spawn());
                        if let Err(e) = &started {
                            let _ = writeln!(file, "could not start {:?}: {e}", job.command);
                        }
                        started
                    });
                    *running = spawned.ok();
                    if let Some(child) = running.as_ref() {
                        RUNNING_GROUP.store(child.id(), Ordering::SeqCst);
                    }
                    running.is_some()
                };
                let started = Instant::now();
                let ok = child && wait_for_child(&running_);
                RUNNING_GROUP.store(0, Ordering::SeqCst);
                let took = started.elapsed();
                if *stop_.lock().unwrap_or_else(PoisonError::into_inner) {
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
            running,
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

/// Polls the running child until it exits, answering whether it succeeded (the lock is held
/// only between polls, so that dropping the [`Ahead`] can stop it meanwhile).
fn wait_for_child(running: &Mutex<Option<Child>>) -> bool {
    loop {
        {
            let mut guard = running.lock().unwrap_or_else(PoisonError::into_inner);
            match guard.as_mut().map(Child::try_wait) {
                Some(Ok(None)) => {}
                ended => {
                    let ok = matches!(ended, Some(Ok(Some(status))) if status.success());
                    *guard = None;
                    return ok;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl Drop for Ahead {
    /// Stops the job still running (its whole process group) and starts no other.
    fn drop(&mut self) {
        *self.stop.lock().unwrap_or_else(PoisonError::into_inner) = true;
        if let Some(child) = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_mut()
        {
            RUNNING_GROUP.store(0, Ordering::SeqCst);
            terminate(child.id());
            let _ = child.wait();
        }
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}
