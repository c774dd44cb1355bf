//! The single writer thread: group commit.
//!
//! Every write (enqueue, ack, twins, sessions…) is a job sent to one thread that owns the
//! write connection. The thread takes all jobs waiting at that moment, runs them in ONE
//! transaction, commits, and only then answers each caller. Concurrent callers therefore
//! share a commit instead of paying one each. If the batch hits an SQLite error it is rolled
//! back and every job is retried in its own transaction, so one bad job fails alone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

use rusqlite::Connection;

use super::payloads::PayloadLog;
use super::StoreError;

/// Most jobs committed together.
const MAX_BATCH: usize = 4096;

/// State shared between the writer thread and `Store` handles.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Bytes queued (sum of `queue.size`), updated after each commit.
    pub size: AtomicU64,
    /// Size limit; `u64::MAX` = unlimited.
    pub limit: AtomicU64,
}

/// What a job sees while it runs inside the batch transaction; kept by the writer thread.
pub(crate) struct Ctx {
    /// Bytes queued including this batch's uncommitted changes.
    pub size: u64,
    /// Size limit; `u64::MAX` = unlimited.
    pub limit: u64,
    /// The bodies' segment files (a message encoded with a checksum goes there).
    pub payloads: PayloadLog,
}

/// The state a rolled-back transaction returns to.
#[derive(Clone, Copy)]
struct Mark {
    size: u64,
    payloads: usize,
}

impl Ctx {
    fn mark(&self) -> Mark {
        Mark {
            size: self.size,
            payloads: self.payloads.mark(),
        }
    }

    fn rollback_to(&mut self, mark: Mark) {
        self.size = mark.size;
        self.payloads.rollback_to(mark.payloads);
    }

    /// After a commit: publish the new size before answering, so callers see their own writes.
    fn committed(&mut self, shared: &Shared) {
        shared.size.store(self.size, Ordering::Release);
        self.payloads.commit();
    }
}

/// Where a job's result goes.
pub(crate) enum Reply<T> {
    Blocking(mpsc::SyncSender<Result<T, StoreError>>),
    Async(tokio::sync::oneshot::Sender<Result<T, StoreError>>),
}

impl<T> Reply<T> {
    fn send(self, result: Result<T, StoreError>) {
        // A caller that stopped waiting is not an error.
        match self {
            Reply::Blocking(tx) => {
                let _ = tx.send(result);
            }
            Reply::Async(tx) => {
                let _ = tx.send(result);
            }
        }
    }
}

/// The body of a job: may run twice (batch, then alone after a rollback), so it must not
/// consume its inputs. `Err(StoreError::Sqlite)` aborts the transaction; any other error is
/// the job's own answer and the batch continues.
pub(crate) type Work<T> = Box<dyn FnMut(&Connection, &mut Ctx) -> Result<T, StoreError> + Send>;

trait Job: Send {
    fn apply(&mut self, conn: &Connection, ctx: &mut Ctx) -> rusqlite::Result<()>;
    fn finish(self: Box<Self>, outcome: Result<(), StoreError>);
}

struct Op<T> {
    work: Work<T>,
    result: Option<Result<T, StoreError>>,
    reply: Reply<T>,
}

impl<T: Send> Job for Op<T> {
    fn apply(&mut self, conn: &Connection, ctx: &mut Ctx) -> rusqlite::Result<()> {
        match (self.work)(conn, ctx) {
            Err(StoreError::Sqlite(e)) => {
                self.result = None;
                Err(e)
            }
            other => {
                self.result = Some(other);
                Ok(())
            }
        }
    }

    fn finish(self: Box<Self>, outcome: Result<(), StoreError>) {
        let result = match outcome {
            Ok(()) => self.result.unwrap_or(Err(StoreError::Closed)),
            Err(e) => Err(e),
        };
        self.reply.send(result);
    }
}

/// Handle to the writer thread; dropping it lets the thread finish queued jobs and exit.
pub(crate) struct Writer {
    tx: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    pub(crate) fn spawn(
        conn: Connection,
        shared: Arc<Shared>,
        ctx: Ctx,
    ) -> std::io::Result<Writer> {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let thread = std::thread::Builder::new()
            .name("hub-store-writer".into())
            .spawn(move || run(conn, shared, ctx, rx))?;
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues a job; its result arrives through `reply` after the commit.
    pub(crate) fn submit<T: Send + 'static>(&self, work: Work<T>, reply: Reply<T>) {
        let op = Box::new(Op {
            work,
            result: None,
            reply,
        });
        match &self.tx {
            Some(tx) => {
                if let Err(mpsc::SendError(op)) = tx.send(op) {
                    op.finish(Err(StoreError::Closed));
                }
            }
            None => op.finish(Err(StoreError::Closed)),
        }
    }

    /// Runs `work` on the writer thread and waits for the commit.
    pub(crate) fn call<T: Send + 'static>(&self, work: Work<T>) -> Result<T, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(work, Reply::Blocking(tx));
        rx.recv().unwrap_or(Err(StoreError::Closed))
    }

    /// Runs `work` on the writer thread; resolves after the commit.
    pub(crate) async fn call_async<T: Send + 'static>(
        &self,
        work: Work<T>,
    ) -> Result<T, StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(work, Reply::Async(tx));
        rx.await.unwrap_or(Err(StoreError::Closed))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the loop once queued jobs are done; wait so a reopened
        // store sees everything and the connection is closed cleanly.
        self.tx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: Connection, shared: Arc<Shared>, mut ctx: Ctx, rx: mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        ctx.limit = shared.limit.load(Ordering::Acquire);
        run_batch(&conn, &mut ctx, &shared, batch);
    }
}

fn run_batch(conn: &Connection, ctx: &mut Ctx, shared: &Shared, mut batch: Vec<Box<dyn Job>>) {
    if batch.len() == 1 {
        if let Some(job) = batch.pop() {
            run_alone(conn, ctx, shared, job);
        }
        return;
    }
    let before = ctx.mark();
    let applied = in_transaction(conn, || {
        for job in batch.iter_mut() {
            job.apply(conn, ctx)?;
        }
        Ok(())
    });
    match applied {
        Ok(()) => {
            ctx.committed(shared);
            batch.into_iter().for_each(|job| job.finish(Ok(())));
        }
        Err(_) => {
            ctx.rollback_to(before);
            for job in batch {
                run_alone(conn, ctx, shared, job);
            }
        }
    }
}

fn run_alone(conn: &Connection, ctx: &mut Ctx, shared: &Shared, mut job: Box<dyn Job>) {
    let before = ctx.mark();
    match in_transaction(conn, || job.apply(conn, ctx)) {
        Ok(()) => {
            ctx.committed(shared);
            job.finish(Ok(()));
        }
        Err(e) => {
            ctx.rollback_to(before);
            job.finish(Err(StoreError::Sqlite(e)));
        }
    }
}

/// BEGIN IMMEDIATE … COMMIT around `f`; rolls back on any error.
fn in_transaction(
    conn: &Connection,
    f: impl FnOnce() -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
    let result = f().and_then(|()| conn.prepare_cached("COMMIT")?.execute([]).map(|_| ()));
    if result.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    result
}
