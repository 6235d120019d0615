//! The `kratos` command: `kratos new` writes a project, `kratos proto ...` works with
//! `.proto` files, `kratos run` runs the project. This file only parses the command line
//! (clap) and hands each command to its module.

use std::process::{Command as Process, ExitCode, ExitStatus};

use clap::{Parser, Subcommand};

mod export;
mod import;
mod new;
mod proto_add;
mod run;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "kratos",
    version,
    about = "The kratos-rs command: new projects, .proto files, running the project",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
enum Command {
    New(new::Args),
    /// Work with .proto files.
    #[command(subcommand)]
    Proto(Proto),
    Run(run::Args),
}

/// The `kratos proto` commands.
#[derive(Debug, Subcommand)]
enum Proto {
    Export(export::Args),
    Add(proto_add::Args),
    Import(import::ImportArgs),
    Server(import::ServerArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::New(args) => new::run(args),
        Command::Proto(Proto::Export(args)) => export::run(args),
        Command::Proto(Proto::Import(args)) => import::run_import(args),
        Command::Proto(Proto::Server(args)) => import::run_server(args),
        Command::Proto(Proto::Add(args)) => proto_add::run(args),
        Command::Run(args) => run::run(args),
    }
}

/// `cargo`, the one that runs us when there is one (`cargo run -p kratos-cli`).
fn cargo() -> Process {
    Process::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// The exit code for a child process `what` that ran (or not) with `status`.
fn status(what: &str, status: std::io::Result<ExitStatus>) -> ExitCode {
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("kratos: {what} failed ({s})");
            // Its own exit code, so a script around `kratos run` sees what the program said.
            s.code()
                .and_then(|c| u8::try_from(c).ok())
                .map_or(ExitCode::FAILURE, ExitCode::from)
        }
        Err(e) => {
            eprintln!("kratos: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
