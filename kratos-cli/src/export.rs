//! `kratos proto export`: writes the `.proto` files of the services compiled into a
//! `#[kratos::main]` binary. The descriptors live in that binary (registered through
//! `inventory`), so the command builds and runs it with `-export-proto <dir>` rather
//! than parsing Rust source.

use std::process::ExitCode;

use crate::cargo;

/// The arguments of `kratos proto export`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Write the .proto files of a #[kratos::main] binary's services",
    long_about = "Builds the #[kratos::main] binary with cargo and writes the .proto files of its \
                  services (messages, enums, services, google.api.http options) to --out.\n\
                  The binary needs kratos's `proto-export` feature (on by default)."
)]
pub struct Args {
    /// Run this example of the package.
    #[arg(long, value_name = "NAME", conflicts_with = "bin")]
    example: Option<String>,
    /// Run this binary of the package.
    #[arg(long, value_name = "NAME")]
    bin: Option<String>,
    /// The package that holds the binary (in a workspace).
    #[arg(short, long, value_name = "PACKAGE")]
    package: Option<String>,
    /// The Cargo.toml of the project.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<String>,
    /// Where the .proto files go.
    #[arg(short, long, value_name = "DIR", default_value = "api")]
    out: String,
}

impl Args {
    /// The `cargo run` arguments that pick the binary, as given.
    fn target(&self) -> Vec<String> {
        let flags = [
            ("--example", &self.example),
            ("--bin", &self.bin),
            ("--package", &self.package),
            ("--manifest-path", &self.manifest_path),
        ];
        flags
            .into_iter()
            .filter_map(|(flag, value)| value.as_ref().map(|v| [flag.to_owned(), v.clone()]))
            .flatten()
            .collect()
    }
}

/// Runs `kratos proto export`.
pub fn run(args: Args) -> ExitCode {
    let mut command = cargo();
    command
        .args(["run", "--quiet"])
        .args(args.target())
        .args(["--", "-export-proto", &args.out]);
    crate::status("the service binary", command.status())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::{Cli, Command, Proto};

    fn export(args: &[&str]) -> Result<super::Args, clap::Error> {
        let cli = Cli::try_parse_from(["kratos", "proto", "export"].iter().chain(args))?;
        match cli.command {
            Command::Proto(Proto::Export(args)) => Ok(args),
            _ => unreachable!("parsed as proto export"),
        }
    }

    #[test]
    fn export_flags() {
        let e = export(&["--example", "helloworld", "-o", "x"]).unwrap();
        assert_eq!(e.target(), ["--example", "helloworld"]);
        assert_eq!(e.out, "x");
        assert_eq!(export(&[]).unwrap().out, "api");
        assert!(export(&["--out"]).is_err());
        assert!(export(&["--example", "a", "--bin", "b"]).is_err());
    }
}
