//! The endpoints of one served model and which one takes the next request.
//!
//! - **Least outstanding work, power of two choices:** among the endpoints in service with room,
//!   two are drawn at random and the one with fewer requests in flight gets the request (as
//!   tower's p2c balancer does with its pending-requests load).
//! - **A limit per endpoint:** at most `limit` requests in flight on each; a request that finds
//!   every endpoint full waits for one to finish.
//! - **Set aside and probed:** an endpoint that keeps failing (or refuses connections) is set
//!   aside; when its time is up a probe (a cheap request made by the caller's prober) decides
//!   whether it comes back, else it stays aside twice as long (at most 16 times).
//! - A retry names the endpoint that just failed, and goes elsewhere when anywhere else has room.
//!
//! Why not tower's `Balance` + `ConcurrencyLimit` + `Retry`: the balancer needs `&mut self` (a
//! `Buffer` task in front of it to share it between prompts), it counts a request as done when
//! the response head arrives (a streamed generation runs on for seconds after), it has no
//! notion of setting an endpoint aside and probing it (that would be a hand-written `Discover`
//! fed by a health task), and its retry policy cannot steer a retry away from the endpoint that
//! failed. Those parts are this file; the HTTP is reqwest's.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::model::EndpointUsage;

/// Checks whether an endpoint is back (e.g. `GET {base}/models` answers); `true` if it is.
pub type Prober = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// How an attempt on an endpoint failed, for its health.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Nothing listens there (connection refused, no route): set aside at once.
    Unreachable,
    /// A timeout, a dropped connection, 429 or 5xx: set aside after several in a row.
    Transient,
}

/// Every endpoint is set aside; the earliest comes up for a probe at `next`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllAside {
    pub next: Instant,
}

/// The endpoints and their state.
pub struct Pool {
    slots: Vec<Slot>,
    limit: usize,
    failures_to_set_aside: u32,
    probe_after: Duration,
    prober: Option<Prober>,
    changed: Notify,
}

struct Slot {
    url: String,
    in_flight: AtomicUsize,
    served: AtomicU64,
    failed: AtomicU64,
    health: Mutex<Health>,
}

#[derive(Debug, Default)]
struct Health {
    consecutive_failures: u32,
    /// Aside until then; `None` while in service.
    aside_until: Option<Instant>,
    /// Times set aside in a row, for the doubling.
    strikes: u32,
    probing: bool,
}

/// A request's claim on one endpoint; dropping it frees the slot. Report the outcome with
/// [`Lease::succeeded`] or [`Lease::failed`].
pub struct Lease {
    pool: Arc<Pool>,
    index: usize,
}

impl Pool {
    /// A pool over `urls`, each with at most `limit` requests in flight.
    pub fn new(
        urls: Vec<String>,
        limit: usize,
        failures_to_set_aside: u32,
        probe_after: Duration,
        prober: Option<Prober>,
    ) -> Arc<Pool> {
        let slots = urls
            .into_iter()
            .map(|url| Slot {
                url,
                in_flight: AtomicUsize::new(0),
                served: AtomicU64::new(0),
                failed: AtomicU64::new(0),
                health: Mutex::new(Health::default()),
            })
            .collect();
        Arc::new(Pool {
            slots,
            limit: limit.max(1),
            failures_to_set_aside: failures_to_set_aside.max(1),
            probe_after,
            prober,
            changed: Notify::new(),
        })
    }

    /// Requests all endpoints together take at once.
    pub fn capacity(&self) -> usize {
        self.limit * self.slots.len()
    }

    /// The endpoints' base URLs, in order.
    pub fn urls(&self) -> Vec<String> {
        self.slots.iter().map(|s| s.url.clone()).collect()
    }

    /// Requests served and failed per endpoint so far.
    pub fn usage(&self) -> Vec<EndpointUsage> {
        self.slots
            .iter()
            .map(|s| EndpointUsage {
                endpoint: s.url.clone(),
                served: s.served.load(Ordering::Relaxed),
                failed: s.failed.load(Ordering::Relaxed),
                set_aside: health(s).aside_until.is_some(),
            })
            .collect()
    }

    /// Waits for room on an endpoint in service and claims it, avoiding `avoid` (the endpoint
    /// that just failed) when another has room. Fails at once when every endpoint is aside.
    pub async fn acquire(self: &Arc<Self>, avoid: Option<usize>) -> Result<Lease, AllAside> {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let now = Instant::now();
            self.start_due_probes(now);
            if let Some(index) = self.pick(avoid) {
                if self.reserve(index) {
                    return Ok(Lease {
                        pool: self.clone(),
                        index,
                    });
                }
                continue;
            }
            let asides: Vec<Option<Instant>> =
                self.slots.iter().map(|s| health(s).aside_until).collect();
            if asides.iter().all(Option::is_some) {
                let next = asides.iter().flatten().min().copied().unwrap_or(now);
                return Err(AllAside { next });
            }
            // Every endpoint in service is full: wait for a request to finish (or for an
            // endpoint's time aside to end).
            match asides.iter().flatten().min() {
                Some(&at) => {
                    tokio::select! {
                        _ = &mut changed => {}
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
                None => changed.await,
            }
        }
    }

    /// Sets endpoint `index` aside as if a connection to it had been refused (e.g. it did not
    /// answer before the run).
    pub fn mark_unreachable(&self, index: usize) {
        if let Some(slot) = self.slots.get(index) {
            let mut h = health(slot);
            if h.aside_until.is_none() {
                self.set_aside(&mut h, &slot.url);
            }
        }
        self.changed.notify_waiters();
    }

    /// Power of two choices among the endpoints in service with room.
    fn pick(&self, avoid: Option<usize>) -> Option<usize> {
        let mut open: Vec<usize> = (0..self.slots.len())
            .filter(|&i| {
                health(&self.slots[i]).aside_until.is_none()
                    && self.slots[i].in_flight.load(Ordering::Acquire) < self.limit
            })
            .collect();
        if open.len() > 1 {
            if let Some(a) = avoid {
                open.retain(|&i| i != a);
            }
        }
        let mut rng = rand::thread_rng();
        match open.len() {
            0 => None,
            1 => Some(open[0]),
            n => {
                let first = open[rng.gen_range(0..n)];
                let mut second = open[rng.gen_range(0..n - 1)];
                if second == first {
                    second = open[n - 1];
                }
                let load = |i: usize| self.slots[i].in_flight.load(Ordering::Acquire);
                Some(if load(second) < load(first) {
                    second
                } else {
                    first
                })
            }
        }
    }

    /// Claims a place on `index` if it still has room.
    fn reserve(&self, index: usize) -> bool {
        let slot = &self.slots[index];
        slot.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .is_ok()
    }

    /// Endpoints whose time aside is up get a probe (or, with no prober, one more chance).
    fn start_due_probes(self: &Arc<Self>, now: Instant) {
        for (index, slot) in self.slots.iter().enumerate() {
            let mut h = health(slot);
            let due = matches!(h.aside_until, Some(t) if t <= now) && !h.probing;
            if !due {
                continue;
            }
            match &self.prober {
                None => {
                    h.aside_until = None;
                    h.consecutive_failures = self.failures_to_set_aside - 1;
                }
                Some(prober) => {
                    h.probing = true;
                    let probe = prober(slot.url.clone());
                    let pool = self.clone();
                    tokio::spawn(async move {
                        let back = probe.await;
                        pool.probe_finished(index, back);
                    });
                }
            }
        }
    }

    fn probe_finished(&self, index: usize, back: bool) {
        let slot = &self.slots[index];
        {
            let mut h = health(slot);
            h.probing = false;
            if back {
                tracing::info!("endpoint {} is back in service", slot.url);
                *h = Health::default();
            } else {
                self.set_aside(&mut h, &slot.url);
            }
        }
        self.changed.notify_waiters();
    }

    fn set_aside(&self, h: &mut Health, url: &str) {
        let factor = 1u32 << h.strikes.min(4);
        let period = self.probe_after * factor;
        tracing::warn!(
            "endpoint {url} set aside for {:.1} s after failing",
            period.as_secs_f64()
        );
        h.aside_until = Some(Instant::now() + period);
        h.strikes = h.strikes.saturating_add(1);
        h.consecutive_failures = 0;
    }
}

fn health(slot: &Slot) -> std::sync::MutexGuard<'_, Health> {
    slot.health.lock().unwrap_or_else(|e| e.into_inner())
}

impl Lease {
    /// The endpoint's base URL.
    pub fn url(&self) -> &str {
        &self.pool.slots[self.index].url
    }

    /// The endpoint's position in the pool (to avoid it on a retry).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The request succeeded: the endpoint's failure count starts over.
    pub fn succeeded(self) {
        let slot = &self.pool.slots[self.index];
        slot.served.fetch_add(1, Ordering::Relaxed);
        let mut h = health(slot);
        h.consecutive_failures = 0;
        h.strikes = 0;
    }

    /// The attempt failed on this endpoint; it may be set aside.
    pub fn failed(self, failure: Failure) {
        self.failed_with(failure, None);
    }

    /// The attempt failed and the server asked for `retry_after` (`Retry-After`): the endpoint
    /// takes no requests for that long (at most 10 minutes), whatever its failure count.
    pub fn failed_with(self, failure: Failure, retry_after: Option<Duration>) {
        let pool = &self.pool;
        let slot = &pool.slots[self.index];
        slot.failed.fetch_add(1, Ordering::Relaxed);
        let mut h = health(slot);
        h.consecutive_failures += 1;
        let give_up =
            failure == Failure::Unreachable || h.consecutive_failures >= pool.failures_to_set_aside;
        if give_up && h.aside_until.is_none() {
            pool.set_aside(&mut h, &slot.url);
        }
        if let Some(wait) = retry_after {
            let until = Instant::now() + wait.min(Duration::from_secs(600));
            if h.aside_until.is_none_or(|t| t < until) {
                h.aside_until = Some(until);
            }
        }
        drop(h);
        pool.changed.notify_waiters();
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.pool.slots[self.index]
            .in_flight
            .fetch_sub(1, Ordering::AcqRel);
        self.pool.changed.notify_waiters();
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
