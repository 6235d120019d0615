//! The process-wide switch to declared JSON names (its own test binary, not a module
//! of `tests/it`, as it changes every message's output while it runs).

// Test code is not an API: its `pub` items are shared between its modules.
#![allow(missing_docs, unreachable_pub)]

use serde_json::json;

/// A message with names that differ in the two cases.
#[kratos::message]
pub struct Profile {
    pub user_id: i64,
    pub display_name: String,
}

#[test]
fn the_global_switch_writes_declared_names_and_input_accepts_both() {
    let m = Profile {
        user_id: 5,
        display_name: "Ann".into(),
    };
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"userId": "5", "displayName": "Ann"})
    );
    kratos::proto::use_declared_names(true);
    assert_eq!(
        serde_json::to_value(&m).unwrap(),
        json!({"user_id": "5", "display_name": "Ann"})
    );
    let read: Profile = serde_json::from_str(r#"{"userId": 5, "display_name": "Ann"}"#).unwrap();
    assert_eq!(read, m);
    kratos::proto::use_declared_names(false);
    assert_eq!(serde_json::to_value(&m).unwrap()["userId"], "5");
}
