//! `kratos run`: Go kratos's `kratos run` for a Rust project, `cargo run` of the
//! project in the current directory with `-conf configs`, the layout `kratos new`
//! writes, so a project starts with the config it ships.

use std::process::ExitCode;

use crate::cargo;

/// The arguments of `kratos run`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Run the project in the current directory (cargo run -- -conf configs)",
    long_about = "Builds and runs the project in the current directory with `cargo run`, handing \
                  it `-conf configs` (unless ARGS already has a -conf) and then ARGS.\n\
                  Example: kratos run -- -conf configs/dev"
)]
pub struct Args {
    /// Build and run with optimizations (cargo run --release).
    #[arg(long)]
    release: bool,
    /// Arguments for the program, after `--`.
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

impl Args {
    /// What the program is handed: `-conf configs` first unless the user picks the config.
    fn program_args(&self) -> Vec<String> {
        let picks_conf = self.args.iter().any(|a| {
            a == "-conf" || a == "--conf" || a.starts_with("-conf=") || a.starts_with("--conf=")
        });
        let mut args = Vec::new();
        if !picks_conf {
            args.extend(["-conf".to_owned(), "configs".to_owned()]);
        }
        args.extend(self.args.iter().cloned());
        args
    }
}

/// Runs `kratos run`.
pub fn run(args: Args) -> ExitCode {
    if !std::path::Path::new("Cargo.toml").is_file() {
        eprintln!("kratos: no Cargo.toml here: run `kratos run` in the project's directory");
        return ExitCode::from(2);
    }
    let mut command = cargo();
    command.arg("run");
    if args.release {
        command.arg("--release");
    }
    command.arg("--").args(args.program_args());
    exec(command)
}

/// Becomes cargo (which in turn becomes the program, as `cargo run` does on Unix), so
/// a signal sent to `kratos run` (SIGTERM from a supervisor, Ctrl-C) reaches the
/// program and its graceful stop, instead of killing a parent and orphaning it.
#[cfg(unix)]
fn exec(mut command: std::process::Command) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let err = command.exec();
    eprintln!("kratos: cannot run cargo: {err}");
    ExitCode::FAILURE
}

#[cfg(not(unix))]
fn exec(mut command: std::process::Command) -> ExitCode {
    crate::status("the program", command.status())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::{Cli, Command};

    fn program_args(args: &[&str]) -> Vec<String> {
        let cli = Cli::try_parse_from(["kratos", "run"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Run(args) => args.program_args(),
            _ => unreachable!("parsed as run"),
        }
    }

    #[test]
    fn conf_is_added_unless_given() {
        assert_eq!(program_args(&[]), ["-conf", "configs"]);
        assert_eq!(program_args(&["--", "-v"]), ["-conf", "configs", "-v"]);
        assert_eq!(program_args(&["--", "-conf", "x"]), ["-conf", "x"]);
    }
}
