//! Per-call cost of declarative validation: the check the transports run before
//! the handler, on a request with ten `#[rule(..)]` rules (valid, and with one
//! rule broken, which builds the 400 error), against the same message without
//! rules. Allocations are counted by divan's `AllocProfiler`.
//!
//! Run: `cargo bench -p kratos-bench --bench validation`

use divan::{AllocProfiler, Bencher, black_box};
use kratos::__private::field_rules::check;

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    divan::main();
}

/// Ten rules over eight fields, the kinds a sign-up form asks for.
#[kratos::message]
pub struct SignUp {
    #[rule(len(3..=32), pattern = "^[a-z0-9_]+$")]
    pub login: String,
    #[rule(email)]
    pub email: String,
    #[rule(gte = 13, lt = 150)]
    pub age: u32,
    #[rule(in = ["free", "pro", "team"])]
    pub plan: String,
    #[rule(uuid)]
    pub invite: String,
    #[rule(uri)]
    pub site: String,
    #[rule(max_items = 8, items(len(1..=20)))]
    pub tags: Vec<String>,
}

/// The same fields without rules: what a request costs with nothing to check.
#[kratos::message]
pub struct SignUpPlain {
    pub login: String,
    pub email: String,
    pub age: u32,
    pub plan: String,
    pub invite: String,
    pub site: String,
    pub tags: Vec<String>,
}

fn valid() -> SignUp {
    SignUp {
        login: "kratos_user".into(),
        email: "user@example.com".into(),
        age: 30,
        plan: "pro".into(),
        invite: "123e4567-e89b-12d3-a456-426614174000".into(),
        site: "https://example.com/me".into(),
        tags: vec!["rust".into(), "grpc".into()],
    }
}

/// No rules: the check is a no-op the compiler can see through.
#[divan::bench]
fn no_rules(b: Bencher) {
    let plain = SignUpPlain {
        login: "kratos_user".into(),
        ..Default::default()
    };
    b.bench_local(|| check(black_box(&plain)).is_ok());
}

/// Ten rules, all kept: the cost every valid request pays.
#[divan::bench]
fn ten_rules_valid(b: Bencher) {
    let request = valid();
    b.bench_local(|| check(black_box(&request)).is_ok());
}

/// Ten rules, one broken (`email`): the 400 error with its message and metadata.
#[divan::bench]
fn ten_rules_one_broken(b: Bencher) {
    let mut request = valid();
    request.email = "nobody".into();
    b.bench_local(|| check(black_box(&request)).is_err());
}
