//! The `kratos` command. `kratos proto export` writes the `.proto` files of the
//! services compiled into a `#[kratos::main]` binary: the descriptors live in
//! that binary (registered through `inventory`), so the command builds and runs it
//! with `-export-proto <dir>` rather than parsing Rust source.

use std::process::{Command, ExitCode};

const USAGE: &str = "usage: kratos proto export [--example NAME | --bin NAME] [-p PACKAGE] [--out DIR] [--manifest-path PATH]

  Builds the #[kratos::main] binary with cargo and writes the .proto files of its
  services (messages, enums, services, google.api.http options) to DIR (default ./api).
  The binary needs kratos's `proto-export` feature (on by default).";

/// What `kratos proto export` was asked for.
#[derive(Debug, Default, PartialEq)]
struct Export {
    /// Arguments that pick the binary, passed to `cargo run` as given.
    target: Vec<String>,
    /// Where the files go.
    out: String,
}

fn parse(args: &[String]) -> Result<Export, String> {
    match args {
        [group, command, rest @ ..] if group == "proto" && command == "export" => {
            let mut export = Export {
                out: "api".to_owned(),
                ..Export::default()
            };
            let mut rest = rest.iter();
            while let Some(flag) = rest.next() {
                let value = |rest: &mut std::slice::Iter<'_, String>| {
                    rest.next()
                        .cloned()
                        .ok_or_else(|| format!("{flag} needs a value"))
                };
                match flag.as_str() {
                    "--example" | "--bin" | "-p" | "--package" | "--manifest-path" => {
                        let v = value(&mut rest)?;
                        export.target.extend([flag.clone(), v]);
                    }
                    "--out" | "-o" => export.out = value(&mut rest)?,
                    other => return Err(format!("unknown argument {other:?}")),
                }
            }
            Ok(export)
        }
        _ => Err("unknown command".to_owned()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let export = match parse(&args) {
        Ok(export) => export,
        Err(e) => {
            eprintln!("kratos: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["run", "--quiet"])
        .args(&export.target)
        .args(["--", "-export-proto", &export.out])
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("kratos: the service binary failed ({s})");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("kratos: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn export_flags() {
        let e = parse(&args(&[
            "proto",
            "export",
            "--example",
            "helloworld",
            "-o",
            "x",
        ]))
        .unwrap();
        assert_eq!(e.target, ["--example", "helloworld"]);
        assert_eq!(e.out, "x");
        assert_eq!(parse(&args(&["proto", "export"])).unwrap().out, "api");
        assert!(parse(&args(&["proto", "export", "--out"])).is_err());
        assert!(parse(&args(&["proto", "import"])).is_err());
    }
}
