//! The `/metrics` server's open connections: a fixed number of slots, what
//! each connection is doing and since when, its deadline, and who makes
//! room when every slot is taken. The server (`server.rs`) owns the
//! sockets and serves them; this table decides when one must go.
//!
//! A cap alone is a lockout: any client that opens `max_connections`
//! sockets and sends nothing (or a byte now and then) used to get every
//! later connection refused, Prometheus' included. So:
//!
//! - A connection is [`Phase::Waiting`] from its accept (a TLS handshake
//!   included) until a request head has been read, and again from the end
//!   of each response until the next head (keep-alive). Waiting longer than
//!   the header timeout ends it, however many bytes trickle in meanwhile:
//!   the clock runs from the accept, not from the last byte.
//! - It is [`Phase::Answering`] from its request head until its response
//!   body has been handed to the socket; answering longer than the
//!   response timeout ends it (a client that never reads).
//! - With every slot taken, a new connection takes the slot of the one
//!   waiting longest; when none is waiting, of the one answering longest,
//!   once it has answered for `evict_answering_after` (scrapes are answered
//!   in milliseconds); otherwise it waits, in the accept loop, for the first
//!   slot to free. A scraper sends its request head as soon as it connects,
//!   so it is answering, not waiting, when later connections come.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, SizeHint};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// What a connection is doing (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Waiting,
    Answering,
}

/// The table's time limits.
#[derive(Clone, Copy, Debug)]
pub(super) struct Timeouts {
    pub waiting: Duration,
    pub answering: Duration,
    pub evict_answering_after: Duration,
}

/// Every open connection, and the slots they hold.
pub(super) struct Conns {
    slots: Arc<Semaphore>,
    open: Mutex<Open>,
    timeouts: Timeouts,
}

#[derive(Default)]
struct Open {
    next: u64,
    conns: HashMap<u64, Entry>,
}

struct Entry {
    phase: Phase,
    since: Instant,
    /// Told to go; its slot frees when its task drops it.
    evicted: bool,
    /// Wakes the connection's [`Slot::ended`]: eviction or a new phase.
    wake: Arc<Notify>,
}

/// What [`Conns::make_room`] did.
#[derive(Debug, PartialEq, Eq)]
enum Room {
    /// Told this connection to go.
    Evicted(u64),
    /// Nobody may go yet; the oldest answer becomes evictable then.
    Until(Instant),
    /// Nobody may go until a connection ends by itself.
    None,
}

impl Conns {
    pub fn new(max: usize, timeouts: Timeouts) -> Arc<Conns> {
        Arc::new(Conns {
            // At least one, or nothing could ever be served.
            slots: Arc::new(Semaphore::new(max.max(1))),
            open: Mutex::new(Open::default()),
            timeouts,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        // The table stays consistent whatever panicked while holding it:
        // every change is one field or one map operation.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A slot for a connection just accepted, evicting another if all are
    /// taken (see the module docs). `None` only if the slots are gone
    /// (never, while the table lives).
    pub async fn admit(self: &Arc<Self>) -> Option<Arc<Slot>> {
        loop {
            if let Ok(p) = self.slots.clone().try_acquire_owned() {
                return Some(self.register(p));
            }
            let retry = match self.make_room(Instant::now()) {
                // Its slot frees when its task sees the eviction; another
                // connection may end first, which is as good.
                Room::Evicted(_) => None,
                Room::Until(at) => Some(at),
                Room::None => None,
            };
            let slot = self.slots.clone().acquire_owned();
            let permit = match retry {
                None => slot.await.ok()?,
                Some(at) => tokio::select! {
                    p = slot => p.ok()?,
                    _ = tokio::time::sleep_until(at) => continue,
                },
            };
            return Some(self.register(permit));
        }
    }

    fn register(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Arc<Slot> {
        let wake = Arc::new(Notify::new());
        let mut open = self.lock();
        let id = open.next;
        open.next += 1;
        open.conns.insert(
            id,
            Entry {
                phase: Phase::Waiting,
                since: Instant::now(),
                evicted: false,
                wake: wake.clone(),
            },
        );
        Arc::new(Slot {
            id,
            conns: self.clone(),
            wake,
            _permit: permit,
        })
    }

    /// Tells the connection that should make room to go: the one waiting
    /// longest, else the one answering longest if it has answered for
    /// `evict_answering_after` by `now`.
    fn make_room(&self, now: Instant) -> Room {
        let mut open = self.lock();
        let oldest = |phase: Phase| {
            open.conns
                .iter()
                .filter(|(_, e)| !e.evicted && e.phase == phase)
                .min_by_key(|(id, e)| (e.since, **id))
                .map(|(id, e)| (*id, e.since))
        };
        let victim = match (oldest(Phase::Waiting), oldest(Phase::Answering)) {
            (Some((id, _)), _) => id,
            (None, Some((id, since))) => {
                let at = since + self.timeouts.evict_answering_after;
                if at > now {
                    return Room::Until(at);
                }
                id
            }
            (None, None) => return Room::None,
        };
        match open.conns.get_mut(&victim) {
            Some(e) => {
                e.evicted = true;
                e.wake.notify_one();
                Room::Evicted(victim)
            }
            None => Room::None,
        }
    }

    /// How many connections hold a slot (evicted ones until they are gone).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().conns.len()
    }
}

/// One connection's place in the table; the slot frees when the last
/// clone is dropped (with the connection's task).
pub(super) struct Slot {
    id: u64,
    conns: Arc<Conns>,
    wake: Arc<Notify>,
    _permit: OwnedSemaphorePermit,
}

impl Slot {
    /// The connection starts `phase` now.
    pub fn set(&self, phase: Phase) {
        let mut open = self.conns.lock();
        if let Some(e) = open.conns.get_mut(&self.id) {
            e.phase = phase;
            e.since = Instant::now();
        }
        drop(open);
        // The deadline moved: `ended` recomputes it.
        self.wake.notify_one();
    }

    /// Resolves when the connection must end: evicted, or past its phase's
    /// deadline. The server drops the connection (and with it the socket)
    /// when this wins the race against serving it.
    pub async fn ended(&self) {
        loop {
            let deadline = {
                let open = self.conns.lock();
                let Some(e) = open.conns.get(&self.id) else {
                    return;
                };
                if e.evicted {
                    return;
                }
                e.since
                    + match e.phase {
                        Phase::Waiting => self.conns.timeouts.waiting,
                        Phase::Answering => self.conns.timeouts.answering,
                    }
            };
            if Instant::now() >= deadline {
                return;
            }
            // A wake-up sent between the check above and here is kept by
            // the Notify (`notify_one` stores one), so none is lost.
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {}
                _ = self.wake.notified() => {}
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Before the permit (a field, dropped after this): a connection
        // admitted into the freed slot never sees this one in the table.
        self.conns.lock().conns.remove(&self.id);
    }
}

/// A response body that puts its connection back to [`Phase::Waiting`]
/// when hyper is done with it (written, or the connection dropped).
pub(super) struct Answering<B> {
    body: Pin<Box<B>>,
    slot: Arc<Slot>,
}

impl<B> Answering<B> {
    pub fn new(body: B, slot: Arc<Slot>) -> Answering<B> {
        Answering {
            body: Box::pin(body),
            slot,
        }
    }
}

impl<B> Drop for Answering<B> {
    fn drop(&mut self) {
        self.slot.set(Phase::Waiting);
    }
}

impl<B: Body> Body for Answering<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.get_mut().body.as_mut().poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts {
        waiting: Duration::from_secs(30),
        answering: Duration::from_secs(60),
        evict_answering_after: Duration::from_secs(2),
    };

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Sets a slot's phase and start time directly, for tests of the
    /// choice that do not wait.
    fn at(slot: &Slot, phase: Phase, since: Instant) {
        let mut open = slot.conns.lock();
        let e = open.conns.get_mut(&slot.id).unwrap();
        e.phase = phase;
        e.since = since;
    }

    #[test]
    fn room_is_made_by_the_longest_waiting_then_the_longest_answering() {
        rt().block_on(async {
            let conns = Conns::new(3, T);
            let s: Vec<_> = [0; 3].iter().map(|_| conns.register_now()).collect();
            let t0 = Instant::now();
            at(&s[0], Phase::Answering, t0);
            at(&s[1], Phase::Waiting, t0 + Duration::from_secs(5));
            at(&s[2], Phase::Waiting, t0 + Duration::from_secs(1));
            let now = t0 + Duration::from_secs(10);
            // Waiting ones first, longest first, however long the answer.
            assert_eq!(conns.make_room(now), Room::Evicted(s[2].id));
            assert_eq!(conns.make_room(now), Room::Evicted(s[1].id));
            // Then the answer, once it is old enough.
            assert_eq!(
                conns.make_room(t0 + Duration::from_secs(1)),
                Room::Until(t0 + T.evict_answering_after)
            );
            assert_eq!(conns.make_room(now), Room::Evicted(s[0].id));
            // Everyone has been told; nobody else can go.
            assert_eq!(conns.make_room(now), Room::None);
        });
    }

    #[test]
    fn equal_waits_evict_the_first_accepted() {
        rt().block_on(async {
            let conns = Conns::new(2, T);
            let (a, b) = (conns.register_now(), conns.register_now());
            let t0 = Instant::now();
            at(&b, Phase::Waiting, t0);
            at(&a, Phase::Waiting, t0);
            assert_eq!(conns.make_room(t0), Room::Evicted(a.id));
        });
    }

    #[test]
    fn a_full_table_admits_by_evicting_and_frees_the_slot_on_drop() {
        rt().block_on(async {
            let conns = Conns::new(1, T);
            let first = conns.admit().await.unwrap();
            // The evicted connection's task: ends, then drops its slot.
            let task = {
                let first = first.clone();
                tokio::spawn(async move { first.ended().await })
            };
            drop(first);
            let second = conns.admit().await.unwrap();
            task.await.unwrap();
            assert_eq!(conns.len(), 1);
            drop(second);
            assert_eq!(conns.len(), 0);
        });
    }

    #[test]
    fn waiting_ends_at_the_header_timeout_from_the_start_of_the_phase() {
        rt().block_on(async {
            let t = Timeouts {
                waiting: Duration::from_millis(30),
                ..T
            };
            let conns = Conns::new(1, t);
            let slot = conns.admit().await.unwrap();
            let start = Instant::now();
            slot.ended().await;
            assert!(start.elapsed() >= t.waiting);
            // Answering is timed by its own limit, from its own start.
            slot.set(Phase::Answering);
            let answer = Instant::now();
            let r = tokio::time::timeout(Duration::from_millis(100), slot.ended()).await;
            assert!(r.is_err(), "answer cut after {:?}", answer.elapsed());
        });
    }

    #[test]
    fn a_full_table_of_answers_admits_once_the_oldest_may_go() {
        rt().block_on(async {
            let t = Timeouts {
                evict_answering_after: Duration::from_millis(50),
                ..T
            };
            let conns = Conns::new(1, t);
            let first = conns.admit().await.unwrap();
            first.set(Phase::Answering);
            let start = Instant::now();
            let task = {
                let first = first.clone();
                tokio::spawn(async move { first.ended().await })
            };
            drop(first);
            // Not refused, not at once: when the answer has taken 50 ms.
            let _second = conns.admit().await.unwrap();
            assert!(start.elapsed() >= t.evict_answering_after);
            task.await.unwrap();
        });
    }

    #[test]
    fn answering_ends_at_the_response_timeout_from_the_request() {
        rt().block_on(async {
            let t = Timeouts {
                answering: Duration::from_millis(30),
                ..T
            };
            let conns = Conns::new(1, t);
            let slot = conns.admit().await.unwrap();
            slot.set(Phase::Answering);
            let start = Instant::now();
            slot.ended().await;
            assert!(start.elapsed() >= t.answering);
        });
    }

    impl Conns {
        fn register_now(self: &Arc<Self>) -> Arc<Slot> {
            let p = self.slots.clone().try_acquire_owned().unwrap();
            self.register(p)
        }
    }
}
