//! The SQLite store: queues, priorities, expiry, durability, twins, sessions, limits.

use std::collections::BTreeMap;
use std::time::Instant;

use edgemodule_hub::message::HubMessage;
use edgemodule_hub::store::{
    module_endpoint, Store, StoreError, StoreTuning, Target, TwinState, UPSTREAM_ENDPOINT,
};
use serde_json::json;

const NOW: u64 = 1_700_000_000;

fn msg(body: &str) -> HubMessage {
    let mut m = HubMessage::from_wire(
        "edge1",
        Some("sensor"),
        vec![
            ("$.mid".into(), Some(format!("id-{body}"))),
            ("$.on".into(), Some("output1".into())),
            ("temp".into(), Some("21".into())),
        ],
        body.as_bytes().to_vec(),
    );
    m.properties.insert("Case".into(), "Kept".into());
    m
}

fn target(endpoint: &str, priority: u32, expires_at: Option<u64>) -> Target {
    (endpoint.to_string(), priority, expires_at)
}

fn bodies(items: &[edgemodule_hub::store::QueuedMessage]) -> Vec<String> {
    items
        .iter()
        .map(|q| String::from_utf8(q.message.body.clone()).unwrap())
        .collect()
}

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("hub.db")).unwrap()
}

#[test]
fn enqueue_pending_ack_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let ep = module_endpoint("filter", "input1");
    assert_eq!(ep, "module:filter/input1");
    let mut seqs = Vec::new();
    for i in 0..5 {
        let s = store
            .enqueue(&msg(&format!("m{i}")), &[target(&ep, 0, None)])
            .unwrap();
        assert_eq!(s.len(), 1);
        seqs.push(s[0]);
    }
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seqs increase: {seqs:?}"
    );

    let pending = store.pending(&ep, 0, 100, NOW).unwrap();
    assert_eq!(bodies(&pending), ["m0", "m1", "m2", "m3", "m4"]);
    // The message round-trips exactly.
    let original = msg("m0");
    let stored = &pending[0].message;
    assert_eq!(stored.body, original.body);
    assert_eq!(stored.properties, original.properties);
    assert_eq!(stored.source, "/messages/modules/sensor/outputs/output1");
    assert_eq!(stored.system_properties["messageId"], "id-m0");
    assert_eq!(pending[0].endpoint, ep);
    assert_eq!(pending[0].expires_at, None);

    // after_seq and limit.
    let page = store.pending(&ep, seqs[1], 2, NOW).unwrap();
    assert_eq!(bodies(&page), ["m2", "m3"]);

    store.ack(&ep, seqs[0]).unwrap();
    store.ack(&ep, seqs[2]).unwrap();
    store.ack(&ep, seqs[2]).unwrap(); // idempotent
    store.ack("module:other/input1", seqs[1]).unwrap(); // wrong endpoint: no effect
    assert_eq!(
        bodies(&store.pending(&ep, 0, 100, NOW).unwrap()),
        ["m1", "m3", "m4"]
    );
    assert_eq!(
        store.ack_many(&ep, &[seqs[1], seqs[3], 999_999]).unwrap(),
        2
    );
    assert_eq!(bodies(&store.pending(&ep, 0, 100, NOW).unwrap()), ["m4"]);
    assert_eq!(store.count(&ep).unwrap(), 1);
}

#[test]
fn one_message_for_several_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let a = module_endpoint("a", "in");
    let b = module_endpoint("b", "in");
    let seqs = store
        .enqueue(
            &msg("x"),
            &[
                target(&a, 1, None),
                target(&b, 2, None),
                target(UPSTREAM_ENDPOINT, 3, None),
            ],
        )
        .unwrap();
    assert_eq!(seqs.len(), 3);
    store.ack(&a, seqs[0]).unwrap();
    assert!(store.pending(&a, 0, 10, NOW).unwrap().is_empty());
    assert_eq!(bodies(&store.pending(&b, 0, 10, NOW).unwrap()), ["x"]);
    assert_eq!(
        store.pending(UPSTREAM_ENDPOINT, 0, 10, NOW).unwrap()[0].priority,
        3
    );
    assert_eq!(store.enqueue(&msg("none"), &[]).unwrap(), Vec::<i64>::new());
}

#[test]
fn priorities_come_first_then_seq() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let ep = module_endpoint("filter", "input1");
    for (body, priority) in [
        ("low1", 5),
        ("high1", 0),
        ("default", 2_000_000_000),
        ("low2", 5),
        ("high2", 0),
    ] {
        store
            .enqueue(&msg(body), &[target(&ep, priority, None)])
            .unwrap();
    }
    let pending = store.pending(&ep, 0, 10, NOW).unwrap();
    assert_eq!(
        bodies(&pending),
        ["high1", "high2", "low1", "low2", "default"]
    );
    assert_eq!(pending[4].priority, 2_000_000_000);
}

#[test]
fn expired_messages_are_skipped_and_purged() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let ep = module_endpoint("filter", "input1");
    store
        .enqueue(&msg("old"), &[target(&ep, 0, Some(NOW - 1))])
        .unwrap();
    store
        .enqueue(&msg("edge"), &[target(&ep, 0, Some(NOW))])
        .unwrap();
    store
        .enqueue(&msg("fresh"), &[target(&ep, 0, Some(NOW + 60))])
        .unwrap();
    store
        .enqueue(&msg("forever"), &[target(&ep, 0, None)])
        .unwrap();
    assert_eq!(
        bodies(&store.pending(&ep, 0, 10, NOW).unwrap()),
        ["fresh", "forever"]
    );
    assert_eq!(
        bodies(&store.pending(&ep, 0, 10, NOW - 10).unwrap()),
        ["old", "edge", "fresh", "forever"]
    );
    assert_eq!(
        store.pending(&ep, 0, 10, NOW).unwrap()[0].expires_at,
        Some(NOW + 60)
    );
    assert_eq!(store.purge_expired(NOW).unwrap(), 2);
    assert_eq!(store.count(&ep).unwrap(), 2);
    assert_eq!(store.purge_expired(NOW + 61).unwrap(), 1);
    assert_eq!(
        bodies(&store.pending(&ep, 0, 10, u64::MAX).unwrap()),
        ["forever"]
    );
}

#[test]
fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let ep = module_endpoint("filter", "input1");
    let twin = TwinState {
        desired: json!({"threshold": 25, "nested": {"a": [1, 2]}}),
        desired_version: 3,
        reported: json!({"status": "ok"}),
        reported_version: 7,
    };
    let seq;
    {
        let store = open(&dir);
        seq = store
            .enqueue(&msg("persisted"), &[target(&ep, 1, None)])
            .unwrap()[0];
        store
            .enqueue(&msg("acked"), &[target(&ep, 1, None)])
            .unwrap();
        store.ack(&ep, seq + 1).unwrap();
        store.put_twin("filter", &twin).unwrap();
        store
            .save_subscriptions(
                "edge1/filter",
                &[("devices/edge1/modules/filter/inputs/#".into(), 1)],
            )
            .unwrap();
    }
    let store = open(&dir);
    let pending = store.pending(&ep, 0, 10, NOW).unwrap();
    assert_eq!(bodies(&pending), ["persisted"]);
    assert_eq!(pending[0].seq, seq);
    assert_eq!(store.twin("filter").unwrap(), Some(twin));
    assert_eq!(
        store.subscriptions("edge1/filter").unwrap(),
        [("devices/edge1/modules/filter/inputs/#".to_string(), 1)]
    );
    // Seqs are never reused, even after the newest entry was deleted.
    let next = store
        .enqueue(&msg("next"), &[target(&ep, 1, None)])
        .unwrap()[0];
    assert!(
        next > seq + 1,
        "{next} must be above the deleted {}",
        seq + 1
    );
    assert!(store.size_bytes() > 0);
}

/// Every other body is large enough for the segment files (`hub.db-payloads/`).
fn kill9_body(i: usize) -> String {
    match i % 2 {
        0 => format!("k{i}-{}", "x".repeat(20_000)),
        _ => format!("k{i}"),
    }
}

/// Child half of `committed_messages_survive_kill_9`: enqueue, then die without cleanup.
#[test]
fn kill9_child() {
    let Ok(path) = std::env::var("EDGEMODULE_STORE_KILL9_DB") else {
        return; // only meaningful when started by the parent test
    };
    let store = Store::open(std::path::Path::new(&path)).unwrap();
    let ep = module_endpoint("filter", "input1");
    for i in 0..50 {
        store
            .enqueue(&msg(&kill9_body(i)), &[target(&ep, 0, None)])
            .unwrap();
    }
    // SIGABRT: no destructors, no connection close, like kill -9.
    std::process::abort();
}

#[test]
fn committed_messages_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "kill9_child", "--nocapture", "--test-threads=1"])
        .env("EDGEMODULE_STORE_KILL9_DB", &path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the child must have been killed");
    let store = Store::open(&path).unwrap();
    let pending = store
        .pending(&module_endpoint("filter", "input1"), 0, 100, NOW)
        .unwrap();
    let expected: Vec<String> = (0..50).map(kill9_body).collect();
    assert_eq!(bodies(&pending), expected);
}

#[test]
fn twins_roundtrip_and_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(store.twin("filter").unwrap(), None);
    let mut twin = TwinState {
        desired: json!({}),
        desired_version: 1,
        reported: json!({}),
        reported_version: 1,
    };
    store.put_twin("filter", &twin).unwrap();
    assert_eq!(store.twin("filter").unwrap().as_ref(), Some(&twin));
    twin.desired = json!({"x": "y"});
    twin.desired_version = 2;
    store.put_twin("filter", &twin).unwrap();
    assert_eq!(store.twin("filter").unwrap(), Some(twin));
    assert_eq!(store.twin("other").unwrap(), None);
}

#[test]
fn subscriptions_replace_and_clear() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let subs = vec![("b/#".to_string(), 1u8), ("a/+".to_string(), 0u8)];
    store.save_subscriptions("edge1/m", &subs).unwrap();
    assert_eq!(store.subscriptions("edge1/m").unwrap(), subs);
    store
        .save_subscriptions("edge1/m", &[("c".to_string(), 1)])
        .unwrap();
    assert_eq!(
        store.subscriptions("edge1/m").unwrap(),
        [("c".to_string(), 1)]
    );
    store.save_subscriptions("edge1/other", &subs).unwrap();
    store.clear_session("edge1/m").unwrap();
    assert!(store.subscriptions("edge1/m").unwrap().is_empty());
    assert_eq!(store.subscriptions("edge1/other").unwrap().len(), 2);
}

#[test]
fn size_limit_refuses_with_full_and_frees_on_ack() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_limit(&dir.path().join("hub.db"), Some(2_000)).unwrap();
    let ep = module_endpoint("filter", "input1");
    let big = HubMessage {
        body: vec![7u8; 600],
        properties: BTreeMap::new(),
        system_properties: BTreeMap::new(),
        source: "/messages".into(),
    };
    let mut seqs = Vec::new();
    for _ in 0..3 {
        seqs.push(store.enqueue(&big, &[target(&ep, 0, None)]).unwrap()[0]);
    }
    assert_eq!(store.size_bytes(), 1_800);
    match store.enqueue(&big, &[target(&ep, 0, None)]) {
        Err(StoreError::Full {
            used,
            incoming,
            limit,
        }) => {
            assert_eq!((used, incoming, limit), (1_800, 600, 2_000));
        }
        other => panic!("expected Full, got {other:?}"),
    }
    // Nothing was written by the refused enqueue.
    assert_eq!(store.count(&ep).unwrap(), 3);
    store.ack(&ep, seqs[0]).unwrap();
    assert_eq!(store.size_bytes(), 1_200);
    store.enqueue(&big, &[target(&ep, 0, None)]).unwrap();
    // Two targets count twice.
    let two = [target(&ep, 0, None), target(UPSTREAM_ENDPOINT, 0, None)];
    assert!(matches!(
        store.enqueue(&big, &two),
        Err(StoreError::Full {
            incoming: 1_200,
            ..
        })
    ));
    store.set_max_size_bytes(None);
    store.enqueue(&big, &two).unwrap();
    // The size is recomputed from the database on reopen.
    drop(store);
    let reopened = Store::open(&dir.path().join("hub.db")).unwrap();
    assert_eq!(reopened.size_bytes(), 3_000);
}

#[test]
fn upstream_is_trimmed_to_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for i in 0..25 {
        store
            .enqueue(
                &msg(&format!("u{i}")),
                &[target(UPSTREAM_ENDPOINT, 0, None)],
            )
            .unwrap();
    }
    assert_eq!(store.trim_endpoint(UPSTREAM_ENDPOINT, 10).unwrap(), 15);
    assert_eq!(store.count(UPSTREAM_ENDPOINT).unwrap(), 10);
    assert_eq!(store.trim_endpoint(UPSTREAM_ENDPOINT, 10).unwrap(), 0);
    let recent = store.recent(UPSTREAM_ENDPOINT, 3).unwrap();
    assert_eq!(bodies(&recent), ["u22", "u23", "u24"]);
    assert_eq!(
        bodies(&store.recent(UPSTREAM_ENDPOINT, 100).unwrap()).len(),
        10
    );
    assert_eq!(store.trim_endpoint("nothing", 10).unwrap(), 0);
}

#[test]
fn trimming_a_large_backlog_takes_several_chunks_and_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let messages: Vec<_> = (0..5_000).map(|i| msg(&format!("u{i}"))).collect();
    let targets = [target(UPSTREAM_ENDPOINT, 0, None)];
    let batch: Vec<_> = messages.iter().map(|m| (m, &targets[..])).collect();
    store.enqueue_many(&batch).unwrap();
    // More than one chunk's worth: every row beyond the newest 100 goes, in order.
    assert_eq!(store.trim_endpoint(UPSTREAM_ENDPOINT, 100).unwrap(), 4_900);
    assert_eq!(store.count(UPSTREAM_ENDPOINT).unwrap(), 100);
    let kept = store.recent(UPSTREAM_ENDPOINT, 100).unwrap();
    assert_eq!(bodies(&kept).first().map(String::as_str), Some("u4900"));
    assert_eq!(bodies(&kept).last().map(String::as_str), Some("u4999"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_async_enqueues_share_commits_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let ep = module_endpoint("filter", "input1");
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = store.clone();
        let ep = ep.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..100 {
                let s = store
                    .enqueue_async(&msg(&format!("t{t}-{i}")), &[target(&ep, 0, None)])
                    .await
                    .unwrap();
                seqs.push(s[0]);
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 800);
    assert_eq!(store.count(&ep).unwrap(), 800);
    assert_eq!(store.ack_async(&ep, &all).await.unwrap(), 800);
    assert_eq!(store.count(&ep).unwrap(), 0);
    assert_eq!(store.size_bytes(), 0);
}

#[test]
fn enqueue_many_is_one_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with_limit(&dir.path().join("hub.db"), Some(10_000)).unwrap();
    let ep = module_endpoint("filter", "input1");
    let msgs: Vec<HubMessage> = (0..10).map(|i| msg(&format!("b{i}"))).collect();
    let targets = [target(&ep, 0, None)];
    let batch: Vec<(&HubMessage, &[Target])> = msgs.iter().map(|m| (m, &targets[..])).collect();
    let seqs = store.enqueue_many(&batch).unwrap();
    assert_eq!(seqs.len(), 10);
    assert_eq!(bodies(&store.pending(&ep, 0, 100, NOW).unwrap())[9], "b9");
    // A batch that does not fit is refused as a whole.
    let huge: Vec<HubMessage> = (0..100).map(|i| msg(&format!("h{i}"))).collect();
    let batch: Vec<(&HubMessage, &[Target])> = huge.iter().map(|m| (m, &targets[..])).collect();
    assert!(matches!(
        store.enqueue_many(&batch),
        Err(StoreError::Full { .. })
    ));
    assert_eq!(store.count(&ep).unwrap(), 10);
}

/// Rough enqueue throughput for the report; run with `--ignored --nocapture`.
#[test]
#[ignore]
fn enqueue_throughput() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let ep = module_endpoint("filter", "input1");
    let m = msg("{\"temperature\":21.5,\"humidity\":40}");
    let targets = [target(&ep, 0, None)];
    let n = 20_000;

    let t = Instant::now();
    for _ in 0..n {
        store.enqueue(&m, &targets).unwrap();
    }
    println!(
        "sequential enqueue: {:.0} msg/s",
        n as f64 / t.elapsed().as_secs_f64()
    );

    let batch: Vec<(&HubMessage, &[Target])> = (0..100).map(|_| (&m, &targets[..])).collect();
    let t = Instant::now();
    for _ in 0..n / 100 {
        store.enqueue_many(&batch).unwrap();
    }
    println!(
        "enqueue_many x100: {:.0} msg/s",
        n as f64 / t.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = Instant::now();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..64 {
            let (store, m, targets) = (store.clone(), m.clone(), targets.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..n / 64 {
                    store.enqueue_async(&m, &targets).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    println!(
        "64 concurrent enqueue_async: {:.0} msg/s",
        (n / 64 * 64) as f64 / t.elapsed().as_secs_f64()
    );

    let pending = store.pending(&ep, 0, 100_000, NOW).unwrap();
    let seqs: Vec<i64> = pending.iter().map(|q| q.seq).collect();
    let t = Instant::now();
    for chunk in seqs.chunks(100) {
        store.ack_many(&ep, chunk).unwrap();
    }
    println!(
        "ack_many x100: {:.0} acks/s",
        seqs.len() as f64 / t.elapsed().as_secs_f64()
    );
}

/// Bytes in the log file after 400 commits of one 16 KiB message each (~6.5 MB in all)
/// under `tuning`. No background checkpointer runs here (that lives in the hub), so the file
/// shows the writer's policy.
fn wal_bytes_after_large_commits(tuning: StoreTuning) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let store = Store::open_tuned(&path, None, tuning).unwrap();
    let body = "x".repeat(16 * 1024);
    for _ in 0..400 {
        store
            .enqueue(&msg(&body), &[target(UPSTREAM_ENDPOINT, 0, None)])
            .unwrap();
    }
    assert_eq!(store.count(UPSTREAM_ENDPOINT).unwrap(), 400);
    std::fs::metadata(dir.path().join("hub.db-wal"))
        .unwrap()
        .len()
}

#[test]
fn writer_leaves_checkpoints_to_the_background_by_default() {
    const MIB: u64 = 1024 * 1024;
    // Default: the writer does not checkpoint before 64 MiB of log, so the log holds every
    // commit (400 × 16 KiB bodies, more than 6.25 MiB; kept in the rows here, as the
    // default's segment files would take them out of the log).
    assert!(StoreTuning::HUB.writer_checkpoint_bytes() >= 64 * MIB);
    let bodies_inside = StoreTuning {
        payload_file: false,
        ..StoreTuning::HUB
    };
    let default = wal_bytes_after_large_commits(bodies_inside);
    assert!(
        default > 400 * 16 * 1024,
        "log of {default} bytes: the writer checkpointed early"
    );
    // SQLite's defaults (1000 pages of 4 KiB): the writer copies the log inside a commit and
    // the log restarts, so its file never grows far beyond 4 MB.
    let writer = wal_bytes_after_large_commits(StoreTuning::SQLITE_DEFAULTS);
    assert!(
        writer < 1_100 * 4096,
        "log of {writer} bytes: the writer did not checkpoint"
    );
}

#[test]
fn a_new_store_takes_the_tuning_page_size_and_an_existing_one_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let page_size = |path: &std::path::Path| -> u32 {
        rusqlite::Connection::open(path)
            .unwrap()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap()
    };
    drop(Store::open_tuned(&path, None, StoreTuning::SQLITE_DEFAULTS).unwrap());
    assert_eq!(page_size(&path), 4096);
    // Reopened with the hub's tuning: the 4 KiB file stays readable and keeps its pages.
    let store = Store::open_tuned(&path, None, StoreTuning::HUB).unwrap();
    store
        .enqueue(&msg("kept"), &[target(UPSTREAM_ENDPOINT, 0, None)])
        .unwrap();
    assert_eq!(store.count(UPSTREAM_ENDPOINT).unwrap(), 1);
    drop(store);
    assert_eq!(page_size(&path), 4096);

    let fresh = dir.path().join("fresh.db");
    drop(Store::open(&fresh).unwrap());
    assert_eq!(page_size(&fresh), StoreTuning::HUB.page_size);
}
