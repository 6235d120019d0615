//! The configuration as a whole: files of every format merged, typed reads and
//! their errors, the environment over the files, reloads and what they call back.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::*;

#[test]
fn durations_parse_like_go() {
    assert_eq!(parse_duration("1s").unwrap(), Duration::from_secs(1));
    assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
    assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
    assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
    assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
    assert!(parse_duration("10").unwrap_err().contains("missing unit"));
    assert!(parse_duration("3d").unwrap_err().contains("unknown unit"));
    assert!(parse_duration("").is_err());
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn directory_files_merge_in_name_order_across_formats() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.yaml",
        "server:\n  http:\n    addr: 0.0.0.0:8000\n    timeout: 1s\n  hosts: [a, b]\n",
    );
    write(
        dir.path(),
        "b.json",
        r#"{"server": {"http": {"addr": "127.0.0.1:1"}, "hosts": ["c"]}}"#,
    );
    write(dir.path(), "c.toml", "[data]\nretries = 3\nratio = 0.5\n");
    write(dir.path(), "ignored.txt", "not: config");
    let config = Config::builder()
        .file(dir.path())
        .watch(false)
        .build()
        .unwrap();
    assert_eq!(
        config.value("server.http.addr").string().unwrap(),
        "127.0.0.1:1"
    );
    assert_eq!(
        config.value("server.http.timeout").duration().unwrap(),
        Duration::from_secs(1)
    );
    assert_eq!(
        config.value("server.hosts").scan::<Vec<String>>().unwrap(),
        ["c"],
        "lists replace"
    );
    assert_eq!(config.value("data.retries").int().unwrap(), 3);
    assert_eq!(config.value("data.ratio").float().unwrap(), 0.5);
    assert!(
        config
            .value("data.ratio")
            .origin()
            .unwrap()
            .ends_with("c.toml")
    );
    assert!(
        config
            .value("server.http.addr")
            .origin()
            .unwrap()
            .ends_with("b.json")
    );
    assert!(!config.value("server.grpc.addr").exists());
}

#[test]
fn typed_views_name_the_key_when_missing_or_of_another_type() {
    let config = Config::from_value(json!({
        "a": {"n": 5, "s": "text", "list": [1], "flag": "true", "nanos": 1500, "d": "soon"}
    }));
    let missing = config.value("a.nope").string().unwrap_err();
    assert_eq!(missing.to_string(), "config key \"a.nope\" is missing");
    let wrong = config.value("a.list").int().unwrap_err().to_string();
    assert!(
        wrong.contains("\"a.list\"") && wrong.contains("is a list"),
        "{wrong}"
    );
    assert!(
        config
            .value("a.s")
            .bool()
            .unwrap_err()
            .to_string()
            .contains("not a bool")
    );
    assert!(config.value("a.flag").bool().unwrap());
    assert_eq!(config.value("a.n").string().unwrap(), "5");
    assert_eq!(
        config.value("a.nanos").duration().unwrap(),
        Duration::from_nanos(1500)
    );
    let bad = config.value("a.d").duration().unwrap_err().to_string();
    assert!(
        bad.contains("\"a.d\"") && bad.contains("invalid duration"),
        "{bad}"
    );
}

#[derive(Debug, Deserialize, PartialEq)]
struct Bootstrap {
    server: Server,
    data: Data,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Server {
    addr: String,
    #[serde(deserialize_with = "duration::deserialize")]
    timeout: Duration,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Data {
    dsn: String,
    pool: u32,
}

#[test]
fn scan_env_overlay_and_placeholders_over_real_files() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "config.yaml",
        "server:\n  addr: 0.0.0.0:8000\n  timeout: 1s\ndata:\n  host: localhost\n  dsn: \"postgres://${data.host}:${DB_PORT_FOR_TEST_ONLY:5432}/app\"\n  pool: 4\n",
    );
    let env = EnvSource::with_vars(
        "APP_",
        [
            ("APP_SERVER_ADDR".to_owned(), "127.0.0.1:9".to_owned()),
            ("APP_DATA_POOL".to_owned(), "16".to_owned()),
            ("APP_DATA_HOST".to_owned(), "db".to_owned()),
        ],
    );
    let config = Config::builder()
        .file(dir.path().join("config.yaml"))
        .source(env)
        .watch(false)
        .build()
        .unwrap();
    let bootstrap: Bootstrap = config.scan().unwrap();
    assert_eq!(
        bootstrap,
        Bootstrap {
            server: Server {
                addr: "127.0.0.1:9".into(),
                timeout: Duration::from_secs(1)
            },
            data: Data {
                dsn: "postgres://db:5432/app".into(),
                pool: 16
            },
        }
    );
    assert_eq!(config.value("data.pool").origin(), Some("env APP_*"));
}

#[test]
fn scan_errors_name_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "config.yaml",
        "server:\n  addr: x\n  timeout: soon\n",
    );
    let config = Config::builder()
        .file(dir.path())
        .watch(false)
        .build()
        .unwrap();
    let err = config.get::<Server>("server").unwrap_err().to_string();
    assert!(err.contains("\"server.timeout\""), "{err}");
    assert!(err.contains("config.yaml"), "{err}");
    assert!(err.contains("invalid duration"), "{err}");
}

#[test]
fn a_broken_file_names_itself_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "server:\n  addr: ok\n  list: [unclosed\n").unwrap();
    let err = Config::load(&file).unwrap_err().to_string();
    assert!(err.contains("bad.yaml"), "{err}");
    assert!(err.contains("line"), "{err}");
    let toml = dir.path().join("bad.toml");
    std::fs::write(&toml, "a = \n").unwrap();
    let err = Config::load(&toml).unwrap_err().to_string();
    assert!(err.contains("bad.toml") && err.contains("line"), "{err}");
}

#[test]
fn reload_swaps_the_tree_and_calls_watchers_of_changed_keys_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.yaml");
    std::fs::write(&file, "a: 1\nb: x\n").unwrap();
    let config = Config::builder().file(&file).watch(false).build().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    config.watch("a", move |v| record.lock().unwrap().push(v.int().unwrap()));
    let untouched = Arc::new(Mutex::new(0));
    let count = untouched.clone();
    config.watch("b", move |_| *count.lock().unwrap() += 1);
    let a = config.atomic::<i64>("a").unwrap();

    std::fs::write(&file, "a: 2\nb: x\n").unwrap();
    config.reload().unwrap();
    std::fs::write(&file, "a: [broken\n").unwrap();
    assert!(config.reload().is_err());
    assert_eq!(
        config.value("a").int().unwrap(),
        2,
        "a failed reload keeps the tree"
    );
    config.reload().unwrap_err();
    std::fs::write(&file, "a: 3\nb: x\n").unwrap();
    config.reload().unwrap();
    assert_eq!(*seen.lock().unwrap(), [2, 3]);
    assert_eq!(*untouched.lock().unwrap(), 0);
    assert_eq!(**a.load(), 3);
}

#[test]
fn atomic_or_follows_the_key_and_falls_back_when_it_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.yaml");
    std::fs::write(&file, "other: 1\n").unwrap();
    let config = Config::builder().file(&file).watch(false).build().unwrap();
    let greeting = config
        .atomic_or("app.greeting", "Hello".to_owned())
        .unwrap();
    assert_eq!(**greeting.load(), "Hello");
    std::fs::write(&file, "app:\n  greeting: Hi\n").unwrap();
    config.reload().unwrap();
    assert_eq!(**greeting.load(), "Hi");
    std::fs::write(&file, "app:\n  greeting: [1]\n").unwrap();
    config.reload().unwrap();
    assert_eq!(
        **greeting.load(),
        "Hi",
        "a value of another type is not taken"
    );
    std::fs::write(&file, "other: 2\n").unwrap();
    config.reload().unwrap();
    assert_eq!(**greeting.load(), "Hello", "removed: back to the default");
}
