//! The store's body segment files (`hub.db-payloads/`): bodies of 2 KiB and more are written
//! there once, read back intact, deleted with their last row, checked on the way out, and
//! rows written before the files existed stay readable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use edgemodule_hub::message::HubMessage;
use edgemodule_hub::store::{
    module_endpoint, QueuedMessage, Store, StoreTuning, Target, UPSTREAM_ENDPOINT,
};

const NOW: u64 = 1_700_000_000;
const LARGE: usize = 16 * 1024;
/// 963 of these fill a 16 MiB segment, so 1,100 take two.
const SPAN: usize = 17 * 1024;

/// A body of `len` bytes that starts with `tag` (so each one is different).
fn body(tag: &str, len: usize) -> Vec<u8> {
    let mut body = tag.as_bytes().to_vec();
    body.extend((0..len.saturating_sub(tag.len())).map(|i| (i % 251) as u8));
    body
}

fn message(body: Vec<u8>) -> HubMessage {
    let mut properties = BTreeMap::new();
    properties.insert("k".to_string(), "v".to_string());
    HubMessage {
        body,
        properties,
        system_properties: BTreeMap::new(),
        source: "/messages/modules/sensor/outputs/out".into(),
    }
}

/// 1,100 messages of `SPAN` bytes, tagged `{tag}{i}-`: two segments' worth.
fn two_segments_of_messages(tag: &str) -> Vec<HubMessage> {
    (0..1_100)
        .map(|i| message(body(&format!("{tag}{i}-"), SPAN)))
        .collect()
}

fn bodies_of(queued: &[QueuedMessage]) -> Vec<&Vec<u8>> {
    queued.iter().map(|q| &q.message.body).collect()
}

fn target(endpoint: &str, expires_at: Option<u64>) -> Target {
    (endpoint.to_string(), 0, expires_at)
}

fn segments(database: &Path) -> Vec<PathBuf> {
    let dir = PathBuf::from(format!("{}-payloads", database.display()));
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn inline_bodies(database: &Path) -> i64 {
    rusqlite::Connection::open(database)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM queue WHERE payload_segment IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn large_bodies_go_to_segment_files_small_ones_stay_in_the_row_and_both_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let ep = module_endpoint("filter", "input1");
    let sent: Vec<Vec<u8>> = (0..20)
        .map(|i| body(&format!("m{i}-"), if i % 2 == 0 { LARGE } else { 100 }))
        .collect();
    {
        let store = Store::open(&path).unwrap();
        for b in &sent {
            // Two targets: one body, two rows.
            store
                .enqueue(
                    &message(b.clone()),
                    &[target(&ep, None), target(UPSTREAM_ENDPOINT, None)],
                )
                .unwrap();
        }
    }
    assert_eq!(
        segments(&path).len(),
        1,
        "one segment holds the large bodies"
    );
    // Private, like the database: the bodies are the modules' data.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&segments(&path)[0]), 0o600);
    assert_eq!(mode(segments(&path)[0].parent().unwrap()), 0o700);
    let on_disk = std::fs::metadata(&segments(&path)[0]).unwrap().len();
    assert_eq!(on_disk, 10 * LARGE as u64, "each large body written once");
    assert_eq!(inline_bodies(&path), 20, "the 10 small bodies × 2 rows");

    let store = Store::open(&path).unwrap();
    let pending = store.pending(&ep, 0, 100, NOW).unwrap();
    assert_eq!(bodies_of(&pending), sent.iter().collect::<Vec<_>>());
    assert_eq!(pending[0].message.properties.get("k").unwrap(), "v");
    let upstream = store.recent(UPSTREAM_ENDPOINT, 100).unwrap();
    assert_eq!(upstream.len(), 20);
    assert_eq!(upstream[18].message.body, sent[18]);
}

#[test]
fn a_segment_is_deleted_once_no_row_refers_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let ep = module_endpoint("filter", "input1");
    let store = Store::open(&path).unwrap();
    let messages = two_segments_of_messages("s");
    let targets = [target(&ep, None)];
    let batch: Vec<_> = messages.iter().map(|m| (m, &targets[..])).collect();
    let seqs: Vec<i64> = store
        .enqueue_many(&batch)
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(segments(&path).len(), 2);
    // Acknowledging the first segment's messages deletes it; the second is still in use.
    assert_eq!(store.ack_many(&ep, &seqs[..1_000]).unwrap(), 1_000);
    let left = segments(&path);
    assert_eq!(left.len(), 1, "{left:?}");
    let pending = store.pending(&ep, 0, 200, NOW).unwrap();
    assert_eq!(pending.len(), 100);
    assert_eq!(pending[0].message.body, messages[1_000].body);
    // The segment still being written stays until the store reopens.
    store.ack_many(&ep, &seqs[1_000..]).unwrap();
    assert_eq!(segments(&path), left);
    drop(store);
    let store = Store::open(&path).unwrap();
    assert!(segments(&path).is_empty(), "{:?}", segments(&path));
    assert_eq!(store.size_bytes(), 0);
}

#[test]
fn trimmed_and_expired_rows_release_their_segments() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let ep = module_endpoint("filter", "input1");
    let store = Store::open(&path).unwrap();
    let messages = two_segments_of_messages("t");
    // The first 1,000 bodies: half expire, half go upstream and are trimmed away.
    let expiring = [target(&ep, Some(NOW - 1))];
    let upstream = [target(UPSTREAM_ENDPOINT, None)];
    let batch: Vec<_> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| match i {
            _ if i >= 1_000 => (m, &upstream[..]),
            _ if i % 2 == 0 => (m, &expiring[..]),
            _ => (m, &upstream[..]),
        })
        .collect();
    store.enqueue_many(&batch).unwrap();
    assert_eq!(segments(&path).len(), 2);
    assert_eq!(store.purge_expired(NOW).unwrap(), 500);
    assert_eq!(
        segments(&path).len(),
        2,
        "upstream rows still use the first"
    );
    assert_eq!(store.trim_endpoint(UPSTREAM_ENDPOINT, 100).unwrap(), 500);
    assert_eq!(segments(&path).len(), 1);
    let kept = store.recent(UPSTREAM_ENDPOINT, 100).unwrap();
    assert_eq!(kept.len(), 100);
    assert_eq!(kept[99].message.body, messages[1_099].body);
}

#[test]
fn a_damaged_body_is_dropped_instead_of_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let ep = module_endpoint("filter", "input1");
    let sent: Vec<Vec<u8>> = (0..3).map(|i| body(&format!("d{i}-"), LARGE)).collect();
    let queued = {
        let store = Store::open(&path).unwrap();
        for b in &sent {
            store
                .enqueue(&message(b.clone()), &[target(&ep, None)])
                .unwrap();
        }
        store.size_bytes()
    };
    // What an OS crash can leave: part of the middle body never reached the disk.
    let segment = &segments(&path)[0];
    let mut bytes = std::fs::read(segment).unwrap();
    bytes[LARGE + 100..LARGE + 200].fill(0);
    std::fs::write(segment, bytes).unwrap();

    let store = Store::open(&path).unwrap();
    let pending = store.pending(&ep, 0, 10, NOW).unwrap();
    assert_eq!(bodies_of(&pending), [&sent[0], &sent[2]]);
    // Its row is deleted behind the read; a later write runs after that delete.
    store.ack(&ep, i64::MAX).unwrap();
    assert_eq!(store.count(&ep).unwrap(), 2);
    assert_eq!(store.size_bytes(), queued / 3 * 2);
}

#[test]
fn a_database_from_before_the_segment_files_stays_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let ep = module_endpoint("filter", "input1");
    // The queue table as the first release created it, with one large body inside.
    let old_body = body("old-", LARGE);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE queue (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL,
                priority INTEGER NOT NULL, expires_at INTEGER, size INTEGER NOT NULL,
                source TEXT NOT NULL, properties TEXT NOT NULL,
                system_properties TEXT NOT NULL, body BLOB NOT NULL);",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO queue (endpoint, priority, size, source, properties, system_properties, body)
             VALUES (?1, 0, ?2, '/messages', '{}', '{}', ?3)",
            rusqlite::params![ep, LARGE as i64, old_body],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let new_body = body("new-", LARGE);
    store
        .enqueue(&message(new_body.clone()), &[target(&ep, None)])
        .unwrap();
    let pending = store.pending(&ep, 0, 10, NOW).unwrap();
    assert_eq!(bodies_of(&pending), [&old_body, &new_body]);
    assert_eq!(
        inline_bodies(&path),
        1,
        "only the old row keeps its body inline"
    );
    assert_eq!(segments(&path).len(), 1);
}

#[test]
fn the_reference_tuning_keeps_bodies_in_sqlite_and_still_reads_segment_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.db");
    let ep = module_endpoint("filter", "input1");
    let first = body("seg-", LARGE);
    drop({
        let store = Store::open(&path).unwrap();
        store
            .enqueue(&message(first.clone()), &[target(&ep, None)])
            .unwrap();
        store
    });
    let store = Store::open_tuned(&path, None, StoreTuning::SQLITE_DEFAULTS).unwrap();
    let second = body("inline-", LARGE);
    store
        .enqueue(&message(second.clone()), &[target(&ep, None)])
        .unwrap();
    assert_eq!(inline_bodies(&path), 1);
    let pending = store.pending(&ep, 0, 10, NOW).unwrap();
    assert_eq!(bodies_of(&pending), [&first, &second]);
}
