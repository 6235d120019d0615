//! Every macro misuse is a compile error with a sentence that says what to write,
//! at the tokens to blame; and the valid forms compile in a crate that depends on
//! kratos alone.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/pass/*.rs");
}
