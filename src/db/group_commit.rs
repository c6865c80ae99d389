//! Group commit: many small write transactions (one per reader's comment)
//! committed together, so the database's per-commit cost (the WAL append and
//! its `fsync` on SQLite, the commit flush on PostgreSQL) is paid once per
//! batch instead of once per comment.
//!
//! One writer thread per process takes whatever jobs are waiting (up to
//! `MAX_BATCH`), runs them inside one transaction, and commits. Only after
//! the commit succeeds does each caller hear its own job's answer, so
//! "accepted" still means "on disk". A job that fails or refuses leaves no
//! trace and the others in the batch are unaffected: the batch is run
//! again with each job in its own savepoint, which then rolls back alone.
//! Savepoints only then, because on PostgreSQL each costs two round trips
//! (`SAVEPOINT`, `RELEASE`) of the one writer every comment waits for.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};

use diesel::result::Error as DieselError;
use diesel::{Connection, QueryResult};
use tokio::sync::oneshot;

use super::{planned_write, AnyConnection, DbPool};

/// Jobs committed together at most. Run again in savepoints (after a job
/// failed), 32 keeps a batch near PostgreSQL's 64 cached subtransactions,
/// past which every reader's visibility checks slow down.
pub const MAX_BATCH: usize = 32;
/// Jobs that may wait for the writer before callers wait to queue.
const QUEUE_DEPTH: usize = 1024;

/// A caller's work in a batch: run once, or twice when another job in the
/// batch failed (see `commit_batch`), then told the batch's fate.
trait Queued: Send {
    /// Runs the work, in a savepoint of its own if `alone`; `false` when
    /// it failed or refused, so that what it wrote must not be kept.
    fn run(&mut self, conn: &mut AnyConnection, alone: bool) -> bool;
    /// Answers the caller: its outcome if the batch was committed.
    fn finish(self: Box<Self>, committed: bool);
}

type Job = Box<dyn Queued>;

/// A caller's work, its last outcome and where its answer goes.
struct Caller<T, E, F> {
    work: F,
    outcome: Option<Result<T, E>>,
    answer: oneshot::Sender<Result<Result<T, E>, GroupCommitError>>,
}

impl<T, E, F> Queued for Caller<T, E, F>
where
    T: Send + 'static,
    E: From<DieselError> + Send + 'static,
    F: FnMut(&mut AnyConnection) -> Result<T, E> + Send + 'static,
{
    fn run(&mut self, conn: &mut AnyConnection, alone: bool) -> bool {
        let outcome = if alone {
            // A nested transaction is a savepoint.
            conn.transaction(&mut self.work)
        } else {
            (self.work)(conn)
        };
        let kept = outcome.is_ok();
        self.outcome = Some(outcome);
        kept
    }

    fn finish(self: Box<Self>, committed: bool) {
        let message = match self.outcome {
            Some(outcome) if committed => Ok(outcome),
            _ => Err(GroupCommitError::NotCommitted),
        };
        // The caller may have gone (client hung up); nothing to tell.
        let _ = self.answer.send(message);
    }
}

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

    /// Runs `work` in the next batch and answers once that batch is
    /// committed. `Ok(Err(_))` is the job's own refusal (nothing of it
    /// written). `work` may run twice (the first run rolled back): it must
    /// only write to the database.
    pub async fn write<T, E, F>(&self, work: F) -> Result<Result<T, E>, GroupCommitError>
    where
        T: Send + 'static,
        E: From<DieselError> + Send + 'static,
        F: FnMut(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<Result<T, E>, GroupCommitError>>();
        let job: Job = Box::new(Caller {
            work,
            outcome: None,
            answer,
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

/// Why the batch's first run, with no savepoints, did not commit.
enum Together {
    /// A job failed or refused: run the batch again, each in a savepoint.
    JobFailed,
    Database(DieselError),
}

impl From<DieselError> for Together {
    fn from(error: DieselError) -> Together {
        Together::Database(error)
    }
}

fn commit_batch(pool: &DbPool, mut batch: Vec<Job>) {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(error) => {
            tracing::error!(error = %error, jobs = batch.len(), "group commit: no connection");
            // Dropping the jobs drops their answer channels: callers see WriterGone.
            return;
        }
    };
    // Holding SQLite's write lock from the start: a job reads before it
    // writes, and a panel action committing in between would otherwise
    // fail the whole batch ("database is locked").
    // The batch's statements are keyed inserts and lookups, run once per
    // comment by the one writer every comment waits for: planned once.
    let together = planned_write(&mut conn, |conn| {
        for job in batch.iter_mut() {
            if !job.run(conn, false) {
                return Err(Together::JobFailed);
            }
        }
        Ok(())
    });
    let committed = match together {
        Ok(()) => Ok(()),
        Err(Together::JobFailed) => planned_write(&mut conn, |conn| -> QueryResult<()> {
            for job in batch.iter_mut() {
                job.run(conn, true);
            }
            Ok(())
        }),
        Err(Together::Database(error)) => Err(error),
    };
    if let Err(error) = &committed {
        tracing::error!(error = %error, jobs = batch.len(), "group commit failed");
    }
    let committed = committed.is_ok();
    for job in batch {
        job.finish(committed);
    }
}
