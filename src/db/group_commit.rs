//! Group commit: many small write transactions (one per reader's comment)
//! committed together, so the database's per-commit cost (the WAL append and
//! its `fsync` on SQLite, the commit flush on PostgreSQL) is paid once per
//! batch instead of once per comment.
//!
//! One writer thread per process takes whatever jobs are waiting (up to
//! `MAX_BATCH`), runs each in its own savepoint inside one transaction, and
//! commits. Only after the commit succeeds does each caller hear its own
//! job's answer, so "accepted" still means "on disk". A job that fails rolls
//! back its savepoint alone; the others in the batch are unaffected.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};

use diesel::result::Error as DieselError;
use diesel::{Connection, QueryResult};
use tokio::sync::oneshot;

use super::{serialized_write, AnyConnection, DbPool};

/// Jobs committed together at most. Each job is a savepoint (a comment's
/// own insert nests another): 32 keeps a batch near PostgreSQL's 64 cached
/// subtransactions, past which every reader's visibility checks slow down.
pub const MAX_BATCH: usize = 32;
/// Jobs that may wait for the writer before callers wait to queue.
const QUEUE_DEPTH: usize = 1024;

/// A job run inside the batch's transaction; what it returns is called once
/// the batch's fate is known (`true`: committed).
type Job = Box<dyn FnOnce(&mut AnyConnection) -> Box<dyn FnOnce(bool) + Send> + Send>;

/// Why a job's work did not land (the cause is in the writer's log).
#[derive(Debug, thiserror::Error)]
pub enum GroupCommitError {
    /// The writer stopped, or could not start the batch (no connection).
    #[error("the database writer gave no answer")]
    WriterGone,
    /// The job ran, but its batch's commit failed.
    #[error("the batch this write was in was not committed")]
    NotCommitted,
}

/// The handle request handlers queue write jobs on.
pub struct GroupWriter {
    jobs: SyncSender<Job>,
}

impl GroupWriter {
    /// Starts the writer thread; it ends when the last handle is dropped.
    pub fn start(pool: DbPool) -> std::io::Result<GroupWriter> {
        let (jobs, queue) = sync_channel::<Job>(QUEUE_DEPTH);
        std::thread::Builder::new()
            .name("group-commit".to_owned())
            .spawn(move || run(pool, queue))?;
        Ok(GroupWriter { jobs })
    }

    /// Runs `work` in a savepoint of the next batch and answers once that
    /// batch is committed. `Ok(Err(_))` is the job's own refusal (its
    /// savepoint rolled back, nothing of it written).
    pub async fn write<T, E, F>(&self, work: F) -> Result<Result<T, E>, GroupCommitError>
    where
        T: Send + 'static,
        E: From<DieselError> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<Result<T, E>, GroupCommitError>>();
        let job: Job = Box::new(move |conn: &mut AnyConnection| {
            // A nested transaction is a savepoint.
            let outcome = conn.transaction(work);
            Box::new(move |committed: bool| {
                let message = if committed {
                    Ok(outcome)
                } else {
                    Err(GroupCommitError::NotCommitted)
                };
                // The caller may have gone (client hung up); nothing to tell.
                let _ = answer.send(message);
            }) as Box<dyn FnOnce(bool) + Send>
        });
        self.enqueue(job).await?;
        answered.await.map_err(|_| GroupCommitError::WriterGone)?
    }

    async fn enqueue(&self, mut job: Job) -> Result<(), GroupCommitError> {
        loop {
            match self.jobs.try_send(job) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(_)) => return Err(GroupCommitError::WriterGone),
                Err(TrySendError::Full(returned)) => {
                    job = returned;
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
            }
        }
    }
}

fn run(pool: DbPool, queue: Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A panicking job is a bug, but must not stop every later comment:
        // its batch's callers hear "writer gone" and the thread goes on.
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commit_batch(&pool, batch)));
        if outcome.is_err() {
            tracing::error!("group commit: a job panicked; its batch was not committed");
        }
    }
}

fn commit_batch(pool: &DbPool, batch: Vec<Job>) {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(error) => {
            tracing::error!(error = %error, jobs = batch.len(), "group commit: no connection");
            // Dropping the jobs drops their answer channels: callers see WriterGone.
            return;
        }
    };
    let mut finishers = Vec::with_capacity(batch.len());
    let committed = serialized_write(&mut conn, |conn| {
        conn.transaction(|conn| -> QueryResult<()> {
            for job in batch {
                finishers.push(job(conn));
            }
            Ok(())
        })
    });
    if let Err(error) = &committed {
        tracing::error!(error = %error, jobs = finishers.len(), "group commit failed");
    }
    let committed = committed.is_ok();
    for finish in finishers {
        finish(committed);
    }
}
