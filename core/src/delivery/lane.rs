//! A lane: the queue in front of one handler registration. Items are handled one at a time,
//! in arrival order, by a task that exists only while the lane has work (one spawn per burst,
//! not per message). Replacing the handler keeps the lane, so order survives the swap.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::connection::shared::lock;

/// Handles one item of a lane to its end (handler call, retries, acknowledgement, reply).
pub(crate) trait Runner: Send + Sync + 'static {
    /// What the lane carries.
    type Item: Send + 'static;
    /// Handles `item`.
    fn run(&self, item: Self::Item) -> impl Future<Output = ()> + Send;
}

struct State<R: Runner> {
    queue: VecDeque<R::Item>,
    running: bool,
    runner: Arc<R>,
}

/// One handler registration's queue.
pub(crate) struct Lane<R: Runner> {
    state: Mutex<State<R>>,
}

impl<R: Runner> Lane<R> {
    pub(crate) fn new(runner: R) -> Arc<Self> {
        Arc::new(Lane {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                running: false,
                runner: Arc::new(runner),
            }),
        })
    }

    /// Replaces the handler; queued items go to the new one.
    pub(crate) fn set_runner(&self, runner: R) {
        lock(&self.state).runner = Arc::new(runner);
    }

    /// Queues `item`; starts the lane's task on `runtime` if it is idle.
    pub(crate) fn push(self: &Arc<Self>, item: R::Item, runtime: &tokio::runtime::Handle) {
        let start = {
            let mut state = lock(&self.state);
            state.queue.push_back(item);
            !std::mem::replace(&mut state.running, true)
        };
        if start {
            runtime.spawn(drain(Arc::clone(self)));
        }
    }

    /// Takes every queued item out (the client is closing).
    pub(crate) fn take_queued(&self) -> VecDeque<R::Item> {
        std::mem::take(&mut lock(&self.state).queue)
    }
}

async fn drain<R: Runner>(lane: Arc<Lane<R>>) {
    loop {
        let (item, runner) = {
            let mut state = lock(&lane.state);
            match state.queue.pop_front() {
                Some(item) => (item, Arc::clone(&state.runner)),
                None => {
                    state.running = false;
                    return;
                }
            }
        };
        runner.run(item).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    struct Record {
        seen: Arc<Mutex<Vec<u32>>>,
        running: Arc<AtomicUsize>,
        tag: u32,
    }

    impl Runner for Record {
        type Item = u32;
        async fn run(&self, item: u32) {
            assert_eq!(
                self.running.fetch_add(1, Ordering::SeqCst),
                0,
                "one item at a time"
            );
            tokio::time::sleep(Duration::from_millis(u64::from(5 - item % 5))).await;
            lock(&self.seen).push(item + self.tag);
            self.running.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn one_at_a_time_in_order_across_a_handler_swap() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let running = Arc::new(AtomicUsize::new(0));
        let record = |tag| Record {
            seen: Arc::clone(&seen),
            running: Arc::clone(&running),
            tag,
        };
        let lane = Lane::new(record(0));
        let rt = tokio::runtime::Handle::current();
        for i in 0..5 {
            lane.push(i, &rt);
        }
        lane.set_runner(record(100));
        for i in 5..10 {
            lane.push(i, &rt);
        }
        for _ in 0..200 {
            if lock(&seen).len() == 10 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let seen = lock(&seen).clone();
        let plain: Vec<u32> = seen.iter().map(|v| v % 100).collect();
        assert_eq!(plain, (0..10).collect::<Vec<_>>());
        assert!(seen[9] >= 100, "the new handler took over: {seen:?}");
    }
}
