//! Every saved fuzz input — the committed seeds (`hub/fuzz/corpus/<target>/seed-*`) and the
//! inputs that once crashed a target (`hub/fuzz/regressions/<target>/*`) — through the
//! target's entry point, so a fixed crash stays fixed without a nightly toolchain.

use std::path::Path;

use edgemodule_hub::fuzzing;

/// A target's entry point.
type EntryPoint = fn(&[u8]);

const TARGETS: [(&str, EntryPoint); 4] = [
    ("route_parser", fuzzing::route_parser),
    ("property_bag", fuzzing::property_bag),
    ("manifest_parser", fuzzing::manifest_parser),
    ("mqtt_packets", fuzzing::mqtt_packets),
];

fn saved_inputs(target: &str) -> Vec<std::path::PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut inputs = Vec::new();
    for (dir, only_seeds) in [
        (fuzz.join("corpus").join(target), true),
        (fuzz.join("regressions").join(target), false),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !only_seeds || name.starts_with("seed-") {
                inputs.push(entry.path());
            }
        }
    }
    inputs.sort();
    inputs
}

#[test]
fn every_saved_input_runs_clean() {
    for (target, run) in TARGETS {
        let inputs = saved_inputs(target);
        assert!(
            !inputs.is_empty(),
            "no seeds for {target}: the corpus is missing"
        );
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target} panicked on {}", input.display());
        }
    }
}

#[test]
fn edge_cases_run_clean() {
    let cases: [&[u8]; 8] = [
        b"",
        b"\x00",
        b"\xff\xff\xff\xff\xff",
        b"FROM\n",
        b"%",
        b"{\"modulesContent\":null}",
        &[0x01, 0x30, 0xff, 0xff, 0xff, 0x7f],
        &[0x01, 0xC0, 0x00, 0xC0, 0x00, 0x82, 0x00],
    ];
    for (_, run) in TARGETS {
        for case in cases {
            run(case);
        }
    }
}
