//! The delivery thread: where host callbacks run (design.md §4 rule 3).
//!
//! One OS thread per client, fed by one FIFO queue:
//! - *events* (input messages, method calls, patches, status changes) are posted from
//!   async code with [`Delivery::post_event`], which waits for room when the queue holds
//!   `capacity` events — back-pressure on the producing task, never a blocked runtime
//!   thread;
//! - *completions and releases* are posted with [`Delivery::try_post`], which never waits
//!   (they must not be lost, and they are bounded by the operations in flight).
//!
//! Jobs run one at a time, in order, never on a tokio worker and never while edgemodule
//! holds a lock, so a callback may call any API (including blocking ones) of any client.
//! [`Delivery::close`] lets the thread finish what is queued and exit; [`Delivery::join`]
//! waits for that, except on the delivery thread itself, where it returns at once (a
//! callback may close its own client). Every delivery thread is registered so that
//! [`join_all`] (from `runtime::shutdown`) can join them all.

use std::cell::Cell;
use std::collections::VecDeque;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::panic::guard_unit;

/// A unit of work for the delivery thread.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// How to start a delivery thread.
pub struct DeliveryConfig {
    /// Thread name (shown by debuggers and `ps -L`).
    pub name: String,
    /// Most events queued at once before producers wait.
    pub capacity: usize,
    /// Runs first on the new thread (e.g. attach it to a JVM as a daemon).
    pub on_start: Option<Box<dyn FnOnce() + Send>>,
    /// Runs last on the thread, after the final job (e.g. detach from the JVM).
    pub on_exit: Option<Box<dyn FnOnce() + Send>>,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            name: "edgemodule-delivery".to_string(),
            capacity: 64,
            on_start: None,
            on_exit: None,
        }
    }
}

impl std::fmt::Debug for DeliveryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryConfig")
            .field("name", &self.name)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

struct Queue {
    jobs: VecDeque<Job>,
    closed: bool,
    /// The thread waits on `ready`: only then does a post need to wake it (a futex call
    /// per completion otherwise, even while the thread is busy).
    sleeping: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    events: Arc<Semaphore>,
    finished: Mutex<bool>,
    finished_cv: Condvar,
}

fn relock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Every delivery thread not joined yet: `(id, shared, handle)`.
type Registry = Vec<(u64, Arc<Shared>, JoinHandle<()>)>;
static THREADS: Mutex<Registry> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The id of the delivery this thread runs (0: not a delivery thread). A thread-local
    /// id instead of `std::thread::current()`, which would allocate per-thread state on
    /// host threads.
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

fn current_delivery() -> u64 {
    CURRENT.try_with(Cell::get).unwrap_or(0)
}

/// A handle to one delivery thread (cheap to clone).
#[derive(Clone)]
pub struct Delivery {
    id: u64,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").field("id", &self.id).finish()
    }
}

impl Delivery {
    /// Starts a delivery thread.
    pub fn spawn(config: DeliveryConfig) -> std::io::Result<Delivery> {
        reap_finished();
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                closed: false,
                sleeping: false,
            }),
            ready: Condvar::new(),
            events: Arc::new(Semaphore::new(config.capacity.max(1))),
            finished: Mutex::new(false),
            finished_cv: Condvar::new(),
        });
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let worker = Arc::clone(&shared);
        let (on_start, on_exit) = (config.on_start, config.on_exit);
        let handle = std::thread::Builder::new()
            .name(config.name)
            .spawn(move || {
                CURRENT.with(|current| current.set(id));
                run(&worker, on_start, on_exit);
            })?;
        relock(&THREADS).push((id, Arc::clone(&shared), handle));
        Ok(Delivery { id, shared })
    }

    /// True when called on this delivery thread (i.e. from one of its callbacks).
    pub fn is_current(&self) -> bool {
        current_delivery() == self.id
    }

    /// Queues an event job, waiting while `capacity` events are queued. False (job dropped)
    /// once events are stopped or the delivery is closed.
    pub async fn post_event(&self, job: Job) -> bool {
        let Ok(permit) = Arc::clone(&self.shared.events).acquire_owned().await else {
            return false;
        };
        self.try_post(Box::new(move || {
            job();
            drop(permit);
        }))
        .is_ok()
    }

    /// Queues a job without waiting. `Err(job)` once the delivery is closed.
    pub fn try_post(&self, job: Job) -> Result<(), Job> {
        let mut queue = relock(&self.shared.queue);
        if queue.closed {
            return Err(job);
        }
        queue.jobs.push_back(job);
        let sleeping = queue.sleeping;
        drop(queue);
        if sleeping {
            self.shared.ready.notify_one();
        }
        Ok(())
    }

    /// Refuses further events (producers waiting for room give up); completions are still
    /// accepted.
    pub fn stop_events(&self) {
        self.shared.events.close();
    }

    /// Refuses every further job; the thread runs what is queued, then exits.
    pub fn close(&self) {
        self.stop_events();
        relock(&self.shared.queue).closed = true;
        self.shared.ready.notify_all();
    }

    /// True once [`close`](Delivery::close) was called.
    pub fn is_closed(&self) -> bool {
        relock(&self.shared.queue).closed
    }

    /// Waits until every job queued before this call has run; true when they have. Returns
    /// true at once on the delivery thread itself (its current job is the caller), false
    /// after `timeout` or when the delivery is closed.
    pub fn fence(&self, timeout: Duration) -> bool {
        if self.is_current() {
            return true;
        }
        let signal = Arc::new((Mutex::new(false), Condvar::new()));
        let remote = Arc::clone(&signal);
        let posted = self.try_post(Box::new(move || {
            *relock(&remote.0) = true;
            remote.1.notify_all();
        }));
        if posted.is_err() {
            return false;
        }
        wait_flag(&signal.0, &signal.1, Instant::now() + timeout)
    }

    /// Waits up to `timeout` for the thread to exit after [`close`](Delivery::close), then
    /// joins it. False on the delivery thread itself (it cannot wait for itself; it exits
    /// after the current job and whatever is queued) and on timeout.
    pub fn join(&self, timeout: Duration) -> bool {
        if self.is_current() {
            return false;
        }
        if !wait_flag(
            &self.shared.finished,
            &self.shared.finished_cv,
            Instant::now() + timeout,
        ) {
            return false;
        }
        let entry = {
            let mut threads = relock(&THREADS);
            threads
                .iter()
                .position(|(id, ..)| *id == self.id)
                .map(|i| threads.swap_remove(i))
        };
        if let Some((_, _, handle)) = entry {
            let _ = handle.join();
        }
        true
    }
}

fn wait_flag(flag: &Mutex<bool>, cv: &Condvar, deadline: Instant) -> bool {
    let mut done = relock(flag);
    while !*done {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        done = cv
            .wait_timeout(done, left)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
    true
}

fn run(
    shared: &Shared,
    on_start: Option<Box<dyn FnOnce() + Send>>,
    on_exit: Option<Box<dyn FnOnce() + Send>>,
) {
    if let Some(start) = on_start {
        guard_unit(start);
    }
    // Everything queued is taken in one go and run outside the lock: one lock round per
    // burst of completions rather than per job. Jobs queued meanwhile run after the burst, so
    // the order is kept.
    let mut burst = VecDeque::new();
    loop {
        {
            let mut queue = relock(&shared.queue);
            while queue.jobs.is_empty() && !queue.closed {
                queue.sleeping = true;
                queue = shared.ready.wait(queue).unwrap_or_else(|p| p.into_inner());
                queue.sleeping = false;
            }
            if queue.jobs.is_empty() {
                break;
            }
            std::mem::swap(&mut burst, &mut queue.jobs);
        }
        while let Some(job) = burst.pop_front() {
            guard_unit(job);
        }
    }
    if let Some(exit) = on_exit {
        guard_unit(exit);
    }
    *relock(&shared.finished) = true;
    shared.finished_cv.notify_all();
}

/// Joins delivery threads that have already exited (keeps the registry small).
fn reap_finished() {
    let done: Vec<JoinHandle<()>> = {
        let mut threads = relock(&THREADS);
        let mut done = Vec::new();
        let mut i = 0;
        while i < threads.len() {
            if threads[i].2.is_finished() {
                done.push(threads.swap_remove(i).2);
            } else {
                i += 1;
            }
        }
        done
    };
    for handle in done {
        let _ = handle.join();
    }
}

/// Closes every delivery thread and joins them within `timeout` (a thread that runs the
/// caller is skipped). True when all were joined.
pub fn join_all(timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let entries: Registry = std::mem::take(&mut *relock(&THREADS));
    let me = current_delivery();
    let mut left_over = Vec::new();
    for (id, shared, handle) in entries {
        {
            shared.events.close();
            relock(&shared.queue).closed = true;
            shared.ready.notify_all();
        }
        if id != me && wait_flag(&shared.finished, &shared.finished_cv, deadline) {
            let _ = handle.join();
        } else {
            left_over.push((id, shared, handle));
        }
    }
    let all = left_over.is_empty();
    relock(&THREADS).extend(left_over);
    all
}

/// An `Arc` whose value is always released on a delivery thread: when the last reference
/// is dropped anywhere else, the value is sent to the delivery thread to be dropped there.
///
/// Host resources with thread affinity live in it — a C `ctx_free`, a JNI global
/// reference, a Python object — so their destructor runs after the last callback, on the
/// thread that runs callbacks. Once the delivery is closed the value is dropped where the
/// last reference goes (a fallback that only happens after a timed-out close).
pub struct DeliveryArc<T: Send + Sync + 'static> {
    value: Option<Arc<T>>,
    delivery: Delivery,
}

impl<T: Send + Sync + 'static> DeliveryArc<T> {
    /// Wraps `value`, to be released on `delivery`'s thread.
    pub fn new(value: T, delivery: &Delivery) -> Self {
        DeliveryArc {
            value: Some(Arc::new(value)),
            delivery: delivery.clone(),
        }
    }
}

impl<T: Send + Sync + 'static> Clone for DeliveryArc<T> {
    fn clone(&self) -> Self {
        DeliveryArc {
            value: self.value.clone(),
            delivery: self.delivery.clone(),
        }
    }
}

impl<T: Send + Sync + 'static> Deref for DeliveryArc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match &self.value {
            Some(value) => value,
            // `value` is only taken in `drop`.
            None => unreachable!("DeliveryArc used after drop"),
        }
    }
}

impl<T: Send + Sync + 'static> Drop for DeliveryArc<T> {
    fn drop(&mut self) {
        let Some(value) = self.value.take() else {
            return;
        };
        if self.delivery.is_current() {
            return;
        }
        if let Some(last) = Arc::into_inner(value) {
            if let Err(job) = self.delivery.try_post(Box::new(move || drop(last))) {
                guard_unit(move || drop(job));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn spawn() -> Delivery {
        Delivery::spawn(DeliveryConfig {
            name: "test-delivery".into(),
            capacity: 2,
            ..DeliveryConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn jobs_run_in_order_on_the_delivery_thread() {
        let delivery = spawn();
        let seen = Arc::new(Mutex::new(Vec::new()));
        for i in 0..5 {
            let seen = Arc::clone(&seen);
            let d = delivery.clone();
            delivery
                .try_post(Box::new(move || {
                    assert!(d.is_current());
                    seen.lock().unwrap().push(i);
                }))
                .map_err(|_| ())
                .unwrap();
        }
        assert!(delivery.fence(Duration::from_secs(5)));
        assert_eq!(*seen.lock().unwrap(), vec![0, 1, 2, 3, 4]);
        assert!(!delivery.is_current());
        delivery.close();
        assert!(delivery.join(Duration::from_secs(5)));
        assert!(delivery.try_post(Box::new(|| ())).is_err());
    }

    #[test]
    fn a_panicking_job_does_not_stop_the_thread() {
        let delivery = spawn();
        delivery
            .try_post(Box::new(|| panic!("job")))
            .map_err(|_| ())
            .unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let r = Arc::clone(&ran);
        delivery
            .try_post(Box::new(move || {
                r.fetch_add(1, Ordering::SeqCst);
            }))
            .map_err(|_| ())
            .unwrap();
        delivery.close();
        assert!(delivery.join(Duration::from_secs(5)));
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn events_wait_for_room_and_stop_when_told() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let delivery = spawn();
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let g = Arc::clone(&gate);
        delivery
            .try_post(Box::new(move || {
                wait_flag(&g.0, &g.1, Instant::now() + Duration::from_secs(5));
            }))
            .map_err(|_| ())
            .unwrap();
        rt.block_on(async {
            assert!(delivery.post_event(Box::new(|| ())).await);
            assert!(delivery.post_event(Box::new(|| ())).await);
            let third = tokio::time::timeout(
                Duration::from_millis(50),
                delivery.post_event(Box::new(|| ())),
            )
            .await;
            assert!(third.is_err(), "a full queue makes the producer wait");
            delivery.stop_events();
            assert!(!delivery.post_event(Box::new(|| ())).await);
        });
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        delivery.close();
        assert!(delivery.join(Duration::from_secs(5)));
    }

    #[test]
    fn join_and_fence_on_the_delivery_thread_return_at_once() {
        let delivery = spawn();
        let (tx, rx) = std::sync::mpsc::channel();
        let d = delivery.clone();
        delivery
            .try_post(Box::new(move || {
                d.close();
                tx.send((
                    d.fence(Duration::from_secs(5)),
                    d.join(Duration::from_secs(5)),
                ))
                .unwrap();
            }))
            .map_err(|_| ())
            .unwrap();
        assert_eq!(rx.recv().unwrap(), (true, false));
        assert!(delivery.join(Duration::from_secs(5)));
    }

    struct Probe(Arc<Mutex<Option<u64>>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = Some(current_delivery());
        }
    }

    #[test]
    fn delivery_arc_releases_its_value_on_the_delivery_thread() {
        let delivery = spawn();
        let dropped_on = Arc::new(Mutex::new(None));
        let a = DeliveryArc::new(Probe(Arc::clone(&dropped_on)), &delivery);
        let b = a.clone();
        drop(a);
        assert!(delivery.fence(Duration::from_secs(5)));
        assert_eq!(*dropped_on.lock().unwrap(), None, "b still holds it");
        std::thread::spawn(move || drop(b)).join().unwrap();
        assert!(delivery.fence(Duration::from_secs(5)));
        assert_eq!(*dropped_on.lock().unwrap(), Some(delivery.id));
        delivery.close();
        assert!(delivery.join(Duration::from_secs(5)));
    }
}
