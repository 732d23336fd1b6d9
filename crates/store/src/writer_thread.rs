//! The one writer thread each SQL store commits through. Writes go over a
//! channel to it; it takes the first queued job, drains whatever else is
//! queued (up to a bound) and commits the group together, then calls each
//! job's `done`. How a group is applied is the store's own; the plumbing
//! around it (jobs, waiting for a write, flushing, stopping) is here.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use crate::records::{ActivityRecord, AliasRecord, StateMachineRecord};
use crate::{Batch, CommitDone, StoreError};

/// What the writer thread is asked to do.
pub(crate) enum Job {
    Apply(Work, CommitDone),
    /// Reports once everything queued before it is committed.
    Flush(CommitDone),
}

/// A change applied atomically.
pub(crate) enum Work {
    Batch(Batch),
    PutMachine(Box<StateMachineRecord>),
    DeleteMachine(String),
    PutActivity(ActivityRecord),
    DeleteActivity(String),
    PutAlias(AliasRecord),
    DeleteAlias(String),
}

/// The handle on a store's writer thread.
pub(crate) struct WriterThread {
    /// `None` only during `drop`, which closes the channel to stop the thread.
    jobs: Option<Sender<Job>>,
    handle: Option<JoinHandle<()>>,
}

impl WriterThread {
    /// Starts thread `name` running `run` over the job queue; `run` returns
    /// once the queue is closed and empty.
    pub(crate) fn spawn(
        name: &str,
        run: impl FnOnce(Receiver<Job>) + Send + 'static,
    ) -> Result<WriterThread, StoreError> {
        let (jobs, queue) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || run(queue))
            .map_err(|e| StoreError::Io(format!("cannot start the writer thread: {e}")))?;
        Ok(WriterThread {
            jobs: Some(jobs),
            handle: Some(handle),
        })
    }

    fn send(&self, job: Job) {
        let Some(jobs) = &self.jobs else {
            return fail_job(job, StoreError::Closed);
        };
        if let Err(mpsc::SendError(job)) = jobs.send(job) {
            // The thread is gone (it only stops when the store is dropped,
            // or if it panicked).
            fail_job(job, StoreError::Closed);
        }
    }

    pub(crate) fn commit(&self, batch: Batch, done: CommitDone) {
        self.send(Job::Apply(Work::Batch(batch), done));
    }

    /// Runs `work` through the writer and waits until it is durable.
    pub(crate) fn write_sync(&self, work: Work) -> Result<(), StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Job::Apply(
            work,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        ));
        rx.recv().unwrap_or(Err(StoreError::Closed))
    }

    /// Waits until everything queued before it is committed.
    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Job::Flush(Box::new(move |r| {
            let _ = tx.send(r);
        })));
        rx.recv().unwrap_or(Err(StoreError::Closed))
    }
}

impl Drop for WriterThread {
    /// Closing the channel lets the thread finish what is queued and stop;
    /// joining it means every accepted batch is committed (or failed) and
    /// its `done` called before `drop` returns.
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(handle) = self.handle.take() {
            // A `done` callback may hold the last handle to the store, making
            // this drop run on the writer thread itself: it cannot wait for
            // itself, and it stops on its own once the queue is empty.
            if handle.thread().id() != std::thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

/// Waits for the next job and adds it, with whatever else is already
/// queued (at most `max` in all), to `group`. `false` once the queue is
/// closed and empty: the store was dropped.
pub(crate) fn next_group(queue: &Receiver<Job>, max: usize, group: &mut Vec<Job>) -> bool {
    let Ok(first) = queue.recv() else {
        return false;
    };
    group.push(first);
    while group.len() < max.max(1) {
        match queue.try_recv() {
            Ok(job) => group.push(job),
            Err(_) => break,
        }
    }
    true
}

pub(crate) fn fail_job(job: Job, error: StoreError) {
    match job {
        Job::Apply(_, done) | Job::Flush(done) => call_done(done, Err(error)),
    }
}

/// A panicking callback must not take the writer thread (and with it every
/// later commit) down.
pub(crate) fn call_done(done: CommitDone, result: Result<(), StoreError>) {
    let _ = catch_unwind(AssertUnwindSafe(move || done(result)));
}
