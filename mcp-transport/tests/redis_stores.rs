//! The Redis stores against a real `redis-server` (see `redis_support`): what each trait
//! promises holds when two replicas (two connections, two stores) use one Redis at once, every
//! key expires, and a store survives Redis going away and coming back.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used)]

mod redis_support;

use std::time::{Duration, Instant};

use mcp_connector_core::safe::{
    Claim, IdempotencyStore, SagaJournal, SagaRecord, SagaStatus, StepRecord, StepState, StoreError,
    TokenStore,
};
use mcp_connector_transport::http::{EventStore, SessionRecord, SessionStore, StoredEvent};
use mcp_connector_transport::redis::Redis;
use redis_support::RedisServer;
use serde_json::json;

const MINUTE: Duration = Duration::from_secs(60);

async fn two_replicas(server: &RedisServer, prefix: &str) -> (Redis, Redis) {
    let a = Redis::connect(&server.url()).await.unwrap().prefix(prefix);
    let b = Redis::connect(&server.url()).await.unwrap().prefix(prefix);
    (a, b)
}

/// Raw access to look at keys and their expiry.
async fn raw(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url()).unwrap().get_multiplexed_async_connection().await.unwrap()
}

async fn pttl(server: &RedisServer, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query_async(&mut raw(server).await).await.unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn an_idempotency_key_is_claimed_by_one_replica_and_answered_on_the_other() {
    let Some(server) = RedisServer::start() else { return };
    let (a, b) = two_replicas(&server, "t1").await;
    let (a, b) = (a.safe_store(), b.safe_store());
    // Twenty concurrent claims of one key from two replicas: exactly one is fresh.
    let claims = futures_util::future::join_all((0..20).map(|i| {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { store.claim("alice", "k:1", "f1", MINUTE).await.unwrap() }
    }))
    .await;
    assert_eq!(claims.iter().filter(|c| **c == Claim::Fresh).count(), 1, "{claims:?}");
    assert!(claims.iter().all(|c| *c == Claim::Fresh || *c == Claim::Running { fingerprint: "f1".into() }));
    // Whoever holds it completes it; the other replica answers from the result.
    let result = json!({"content": [{"type": "text", "text": "created #7"}], "structuredContent": {"id": 7}});
    a.complete("alice", "k:1", &result, MINUTE).await.unwrap();
    assert_eq!(
        b.claim("alice", "k:1", "f1", MINUTE).await.unwrap(),
        Claim::Completed { fingerprint: "f1".into(), result: result.clone() }
    );
    // Scopes never collide, even when their parts contain the separator.
    assert_eq!(b.claim("alice:k", "1", "f1", MINUTE).await.unwrap(), Claim::Fresh);
    // A completed key expires after keep_for; a running one after its lease.
    let key = "t1:idem:5:alice:k:1";
    let ttl = pttl(&server, key).await;
    assert!(ttl > 50_000 && ttl <= 60_000, "pttl {ttl}");
    // Release gives a running key up, never a completed one.
    assert_eq!(a.claim("bob", "k2", "f", MINUTE).await.unwrap(), Claim::Fresh);
    b.release("bob", "k2").await.unwrap();
    assert_eq!(a.claim("bob", "k2", "f", MINUTE).await.unwrap(), Claim::Fresh);
    a.release("alice", "k:1").await.unwrap();
    assert!(matches!(b.claim("alice", "k:1", "f1", MINUTE).await.unwrap(), Claim::Completed { .. }));
    // A crashed holder's key can be taken again once its lease ran out.
    assert_eq!(a.claim("carol", "k3", "f", Duration::from_millis(200)).await.unwrap(), Claim::Fresh);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(b.claim("carol", "k3", "f", MINUTE).await.unwrap(), Claim::Fresh);
    // Completing a key nobody holds is an error, not a silent write.
    assert!(b.complete("dave", "never", &result, MINUTE).await.is_err());
}

#[tokio::test]
async fn a_confirmation_token_is_used_once_across_replicas() {
    let Some(server) = RedisServer::start() else { return };
    let (a, b) = two_replicas(&server, "t2").await;
    let (a, b) = (a.safe_store(), b.safe_store());
    let expires = now() + 600;
    let uses = futures_util::future::join_all((0..10).map(|i| {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        async move { store.consume("token-1", expires).await.unwrap() }
    }))
    .await;
    assert_eq!(uses.iter().filter(|u| **u).count(), 1, "{uses:?}");
    let ttl = pttl(&server, "t2:token:token-1").await;
    assert!(ttl > 590_000 && ttl <= 600_000, "the record lives as long as the token: {ttl}");
}

fn saga(id: &str) -> SagaRecord {
    SagaRecord {
        id: id.into(),
        name: "escalate".into(),
        input: json!({"ticket": 1, "empty": []}),
        principal: Some("alice".into()),
        status: SagaStatus::Running,
        started_at: now(),
        updated_at: now(),
        steps: vec![],
    }
}

fn step(index: u32, state: StepState) -> StepRecord {
    StepRecord {
        index,
        name: format!("step{index}"),
        state,
        output: Some(json!({"n": index, "list": []})),
        attempts: 0,
        error: None,
    }
}

#[tokio::test]
async fn an_interrupted_saga_is_recovered_by_exactly_one_survivor_once_its_lease_expires() {
    let Some(server) = RedisServer::start() else { return };
    let lease = Duration::from_millis(500);
    let runner = Redis::connect(&server.url()).await.unwrap().prefix("t3").safe_store().saga_lease(lease);
    runner.begin_saga(&saga("s1")).await.unwrap();
    runner.put_step("s1", &step(0, StepState::Done)).await.unwrap();
    runner.put_step("s1", &step(1, StepState::Started)).await.unwrap();
    let journal = runner.saga("s1").await.unwrap().unwrap();
    assert_eq!(journal.steps, vec![step(0, StepState::Done), step(1, StepState::Started)]);
    assert_eq!(journal.input, json!({"ticket": 1, "empty": []}), "JSON comes back as it went in");
    // Survivors see it unfinished but may not take it while the runner's lease lives.
    let survivors: Vec<_> = futures_util::future::join_all((0..3).map(|_| async {
        Redis::connect(&server.url()).await.unwrap().prefix("t3").safe_store().saga_lease(lease)
    }))
    .await;
    assert_eq!(survivors[0].unfinished().await.unwrap().len(), 1);
    assert!(!survivors[0].claim_recovery("s1").await.unwrap(), "the runner still holds it");
    // The runner dies (writes nothing more); once the lease is out, exactly one survivor wins.
    tokio::time::sleep(lease + Duration::from_millis(200)).await;
    let claims = futures_util::future::join_all(survivors.iter().map(|s| s.claim_recovery("s1"))).await;
    let winners: Vec<usize> =
        claims.iter().enumerate().filter(|(_, c)| *c.as_ref().unwrap()).map(|(i, _)| i).collect();
    assert_eq!(winners.len(), 1, "{claims:?}");
    let winner = &survivors[winners[0]];
    winner.set_status("s1", SagaStatus::Compensating).await.unwrap();
    winner.put_step("s1", &step(0, StepState::Compensated)).await.unwrap();
    winner.set_status("s1", SagaStatus::Compensated).await.unwrap();
    // Over: off the unfinished list, kept for a while (expiring), its lease given up.
    assert!(survivors[1].unfinished().await.unwrap().is_empty());
    let over = survivors[1].saga("s1").await.unwrap().unwrap();
    assert_eq!(over.status, SagaStatus::Compensated);
    assert!(pttl(&server, "t3:saga:s1").await > 0, "a finished saga expires");
    assert_eq!(pttl(&server, "t3:saga-lease:s1").await, -2, "no lease left");
    // A saga id is begun once.
    assert!(winner.begin_saga(&saga("s1")).await.is_err());
    // A saga that needs attention stays listed and never expires.
    winner.begin_saga(&saga("s2")).await.unwrap();
    winner.set_status("s2", SagaStatus::NeedsAttention).await.unwrap();
    assert_eq!(survivors[2].unfinished().await.unwrap()[0].status, SagaStatus::NeedsAttention);
    assert_eq!(pttl(&server, "t3:saga:s2").await, -1);
}

fn event(id: &str, stream: &str, data: &str) -> StoredEvent {
    StoredEvent { id: id.into(), stream: stream.into(), data: data.into() }
}

#[tokio::test]
async fn events_are_replayed_from_either_replica_bounded_and_expiring() {
    let Some(server) = RedisServer::start() else { return };
    let (a, b) = two_replicas(&server, "t4").await;
    let (a, b) = (a.event_store().capacity(5), b.event_store().capacity(5));
    a.append("s", event("p1-1", "p1", "")).await.unwrap();
    a.append("s", event("g-a.2", "g", r#"{"jsonrpc":"2.0","method":"x"}"#)).await.unwrap();
    b.append("s", event("p1-3", "p1", "{\"multi\":\n\"line\"}")).await.unwrap();
    b.append("s", event("g-b.4", "g", "{}")).await.unwrap();
    let missed = b.events_after("s", "p1-1").await.unwrap().unwrap();
    assert_eq!(missed, vec![event("p1-3", "p1", "{\"multi\":\n\"line\"}")], "same stream only");
    let missed = a.events_after("s", "g-a.2").await.unwrap().unwrap();
    assert_eq!(missed, vec![event("g-b.4", "g", "{}")], "written by the other replica");
    assert_eq!(a.events_after("s", "g-b.4").await.unwrap().unwrap(), vec![]);
    assert_eq!(a.events_after("s", "nope").await.unwrap(), None);
    assert_eq!(a.events_after("other", "p1-1").await.unwrap(), None);
    // Bounded: the oldest go, and an id evicted is unknown.
    for n in 5..10 {
        a.append("s", event(&format!("p1-{n}"), "p1", "{}")).await.unwrap();
    }
    assert_eq!(a.events_after("s", "p1-1").await.unwrap(), None);
    assert_eq!(a.events_after("s", "p1-5").await.unwrap().unwrap().len(), 4);
    let ttl = pttl(&server, "t4:events:s").await;
    assert!(ttl > 3_500_000 && ttl <= 3_600_000, "pttl {ttl}");
    b.remove_session("s").await.unwrap();
    assert_eq!(a.events_after("s", "p1-5").await.unwrap(), None);
}

#[tokio::test]
async fn sessions_expire_unless_touched_and_a_removal_is_seen_by_every_replica() {
    let Some(server) = RedisServer::start() else { return };
    let (a, b) = two_replicas(&server, "t5").await;
    let (a, b) = (a.session_store(), b.session_store());
    let state: mcp_connector_core::SessionState = serde_json::from_value(json!({
        "protocolVersion": "2025-11-25",
        "clientCapabilities": {"elicitation": {}},
        "clientInfo": {"name": "c", "version": "1"},
        "initialized": true,
        "logLevel": "warning",
        "subscriptions": ["file:///a"]
    }))
    .unwrap();
    let record = SessionRecord { owner: Some("alice".into()), state };
    a.save("s1", &record, Duration::from_millis(300)).await.unwrap();
    assert_eq!(b.load("s1").await.unwrap(), Some(record.clone()));
    assert_eq!(b.touch("s1", MINUTE).await.unwrap(), Some(record.clone()));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(a.touch("s1", Duration::from_millis(300)).await.unwrap().is_some(), "touched: still there");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(a.touch("s1", MINUTE).await.unwrap().is_none(), "idle past its timeout: gone");
    a.save("s2", &record, MINUTE).await.unwrap();
    b.remove("s2").await.unwrap();
    assert_eq!(a.load("s2").await.unwrap(), None);
    assert!(a.touch("s2", MINUTE).await.unwrap().is_none());
}

#[tokio::test]
async fn with_redis_gone_the_stores_fail_fast_and_work_again_once_it_is_back() {
    let Some(mut server) = RedisServer::start() else { return };
    let redis = Redis::connect(&server.url()).await.unwrap().prefix("t6");
    let safe = redis.safe_store();
    let sessions = redis.session_store();
    assert_eq!(safe.claim("a", "k", "f", MINUTE).await.unwrap(), Claim::Fresh);
    server.stop();
    for _ in 0..3 {
        let started = Instant::now();
        let error = safe.claim("a", "k2", "f", MINUTE).await.unwrap_err();
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(10), "fails fast: {:?}", started.elapsed());
        assert!(sessions.load("s").await.is_err());
        assert!(!redis.ping().await);
    }
    server.restart();
    // The same store, not a new one: it reconnects by itself.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match safe.claim("a", "k3", "f", MINUTE).await {
            Ok(claim) => {
                assert_eq!(claim, Claim::Fresh);
                break;
            }
            Err(error) => {
                assert!(Instant::now() < deadline, "never reconnected: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert!(redis.ping().await);
}
