//! Tests of the endpoint pool: choice by load, limits, avoiding a failed endpoint, setting
//! aside and probing.

use std::sync::atomic::AtomicBool;

use super::*;

fn urls(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("http://e{i}/v1")).collect()
}

#[tokio::test]
async fn the_less_loaded_of_two_endpoints_takes_the_request() {
    let pool = Pool::new(urls(2), 8, 3, Duration::from_secs(5), None);
    // Load endpoint 0 with three requests (avoiding 1 steers them there).
    let mut held = Vec::new();
    for _ in 0..3 {
        let lease = pool.acquire(Some(1)).await.unwrap();
        assert_eq!(lease.index(), 0);
        held.push(lease);
    }
    // With two endpoints both are always drawn, so the idle one always wins.
    for _ in 0..50 {
        let lease = pool.acquire(None).await.unwrap();
        assert_eq!(lease.index(), 1);
    }
}

#[tokio::test]
async fn requests_spread_evenly_over_equal_endpoints() {
    let pool = Pool::new(urls(4), 2, 3, Duration::from_secs(5), None);
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(pool.acquire(None).await.unwrap());
    }
    let mut per = [0; 4];
    for lease in &held {
        per[lease.index()] += 1;
    }
    assert_eq!(per, [2, 2, 2, 2], "limit 2 each, 8 leases");
}

#[tokio::test]
async fn a_full_pool_makes_the_next_request_wait_for_a_release() {
    let pool = Pool::new(urls(1), 1, 3, Duration::from_secs(5), None);
    let first = pool.acquire(None).await.unwrap();
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.acquire(None).await.map(|l| l.index()) })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!waiter.is_finished(), "the second request must wait");
    first.succeeded();
    let got = tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("woken after the release")
        .unwrap();
    assert_eq!(got, Ok(0));
}

#[tokio::test]
async fn a_retry_avoids_the_endpoint_that_failed() {
    let pool = Pool::new(urls(3), 4, 3, Duration::from_secs(5), None);
    for _ in 0..50 {
        let lease = pool.acquire(Some(1)).await.unwrap();
        assert_ne!(lease.index(), 1);
    }
    // With only that endpoint left it is used anyway.
    let one = Pool::new(urls(1), 4, 3, Duration::from_secs(5), None);
    assert_eq!(one.acquire(Some(0)).await.unwrap().index(), 0);
}

#[tokio::test]
async fn repeated_failures_set_an_endpoint_aside_until_its_time_is_up() {
    let pool = Pool::new(urls(2), 4, 2, Duration::from_millis(200), None);
    let fail_on_0 = || async {
        loop {
            let lease = pool.acquire(None).await.unwrap();
            if lease.index() == 0 {
                lease.failed(Failure::Transient);
                return;
            }
        }
    };
    fail_on_0().await;
    assert!(!pool.usage()[0].set_aside, "one failure is not enough");
    fail_on_0().await;
    assert!(pool.usage()[0].set_aside);
    for _ in 0..20 {
        assert_eq!(pool.acquire(None).await.unwrap().index(), 1);
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    // Back on probation: some requests reach it again.
    let mut seen = false;
    for _ in 0..50 {
        seen |= pool.acquire(None).await.unwrap().index() == 0;
    }
    assert!(seen);
    assert_eq!(pool.usage()[0].failed, 2);
}

#[tokio::test]
async fn a_refused_connection_sets_aside_at_once_and_all_aside_is_reported() {
    let pool = Pool::new(urls(1), 4, 3, Duration::from_secs(5), None);
    pool.acquire(None)
        .await
        .unwrap()
        .failed(Failure::Unreachable);
    let err = pool.acquire(None).await.err().expect("all aside");
    let wait = err.next - Instant::now();
    assert!(wait > Duration::from_secs(4) && wait <= Duration::from_secs(5));
}

#[tokio::test]
async fn retry_after_keeps_an_endpoint_aside_for_as_long_as_asked() {
    let pool = Pool::new(urls(2), 4, 3, Duration::from_millis(10), None);
    loop {
        let lease = pool.acquire(None).await.unwrap();
        if lease.index() == 0 {
            lease.failed_with(Failure::Transient, Some(Duration::from_secs(30)));
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..20 {
        assert_eq!(pool.acquire(None).await.unwrap().index(), 1);
    }
}

#[tokio::test]
async fn a_probe_brings_an_endpoint_back_or_keeps_it_aside_longer() {
    let up = Arc::new(AtomicBool::new(false));
    let probes = Arc::new(AtomicUsize::new(0));
    let prober: Prober = {
        let (up, probes) = (up.clone(), probes.clone());
        Arc::new(move |_url| {
            probes.fetch_add(1, Ordering::SeqCst);
            let up = up.load(Ordering::SeqCst);
            Box::pin(async move { up })
        })
    };
    let step = Duration::from_millis(200);
    let pool = Pool::new(urls(2), 4, 3, step, Some(prober));
    pool.mark_unreachable(0);
    let probes_after = |wait: Duration| {
        let (pool, probes) = (pool.clone(), probes.clone());
        async move {
            tokio::time::sleep(wait).await;
            assert_eq!(pool.acquire(None).await.unwrap().index(), 1);
            tokio::time::sleep(Duration::from_millis(20)).await;
            probes.load(Ordering::SeqCst)
        }
    };
    assert_eq!(
        probes_after(Duration::ZERO).await,
        0,
        "no probe before its time"
    );
    assert_eq!(probes_after(step + step / 4).await, 1, "one probe when due");
    assert!(pool.usage()[0].set_aside, "a failed probe keeps it aside");
    // The second period is twice as long.
    assert_eq!(probes_after(step / 4).await, 1);
    up.store(true, Ordering::SeqCst);
    assert_eq!(probes_after(2 * step).await, 2);
    assert!(!pool.usage()[0].set_aside, "a good probe brings it back");
}

#[tokio::test]
async fn usage_counts_served_and_failed_requests() {
    let pool = Pool::new(urls(1), 4, 3, Duration::from_secs(5), None);
    pool.acquire(None).await.unwrap().succeeded();
    pool.acquire(None).await.unwrap().succeeded();
    pool.acquire(None).await.unwrap().failed(Failure::Transient);
    let usage = &pool.usage()[0];
    assert_eq!((usage.served, usage.failed), (2, 1));
    assert_eq!(pool.capacity(), 4);
}
