//! Hot reload over a real file watched by the real file watcher: a rewrite is seen
//! and reported once, a broken rewrite keeps the running values and the watcher
//! alive, and a thousand readers during reloads never see a torn value.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kratos::config::Config;
use serde::Deserialize;

/// Waits (up to a generous bound, to fail instead of hanging) until `done` holds.
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Replaces the file the way editors do: write a sibling, rename over.
fn rewrite(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn the_watcher_reports_each_change_once_and_survives_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yaml");
    std::fs::write(&file, "feature:\n  level: 1\nother: x\n").unwrap();
    let config = Config::load(&file).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    config.watch("feature.level", move |v| {
        record.lock().unwrap().push(v.int().unwrap())
    });
    let level = config.atomic::<i64>("feature.level").unwrap();

    // In place (truncate and write: several events) and by rename: one report each.
    std::fs::write(&file, "feature:\n  level: 2\nother: x\n").unwrap();
    let started = Instant::now();
    wait_for("level 2", || seen.lock().unwrap().len() == 1);
    println!("first change seen after {:?}", started.elapsed());
    rewrite(&file, "feature:\n  level: 3\nother: x\n");
    wait_for("level 3", || seen.lock().unwrap().len() == 2);
    // A change elsewhere in the file does not call this key's watcher.
    rewrite(&file, "feature:\n  level: 3\nother: y\n");
    wait_for("other = y", || {
        config.value("other").string().unwrap() == "y"
    });

    // A broken file: the running values stay, the process and the watcher go on.
    rewrite(&file, "feature:\n  level: [4\n");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(config.value("feature.level").int().unwrap(), 3);
    assert_eq!(**level.load(), 3);
    rewrite(&file, "feature:\n  level: 5\nother: y\n");
    wait_for("level 5", || seen.lock().unwrap().len() == 3);

    assert_eq!(*seen.lock().unwrap(), [2, 3, 5], "one call per change");
    assert_eq!(**level.load(), 5);
}

#[derive(Debug, Deserialize)]
struct Pair {
    left: u64,
    right: u64,
    name: String,
}

#[test]
fn a_thousand_readers_never_see_a_torn_value_during_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pair.yaml");
    let text = |n: u64| format!("pair:\n  left: {n}\n  right: {n}\n  name: v{n}\n");
    std::fs::write(&file, text(0)).unwrap();
    let config = Config::load(&file).unwrap();
    let pair = config.atomic::<Pair>("pair").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let torn = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..1000)
        .map(|i| {
            let (config, pair, stop) = (config.clone(), pair.clone(), stop.clone());
            let (reads, torn) = (reads.clone(), torn.clone());
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let check = |p: &Pair| p.left == p.right && p.name == format!("v{}", p.left);
                    // Every reader reads at least once, whatever the scheduling.
                    loop {
                        let ok = if i % 2 == 0 {
                            check(&pair.load())
                        } else {
                            check(&config.value("pair").scan::<Pair>().unwrap())
                        };
                        if !ok {
                            torn.fetch_add(1, Ordering::Relaxed);
                        }
                        reads.fetch_add(1, Ordering::Relaxed);
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        std::thread::yield_now();
                    }
                })
                .unwrap()
        })
        .collect();
    for n in 1..=40u64 {
        rewrite(&file, &text(n));
        // Reload from here too, so swaps overlap the watcher's.
        config.reload().unwrap();
    }
    wait_for("the last version", || pair.load().left == 40);
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    assert!(reads.load(Ordering::Relaxed) >= 1000);
    assert_eq!(
        torn.load(Ordering::Relaxed),
        0,
        "no reader saw half of a version"
    );
    assert_eq!(config.value("pair.name").string().unwrap(), "v40");
}
