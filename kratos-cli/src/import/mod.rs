//! `kratos proto import` and `kratos proto server`: existing `.proto` APIs brought
//! into a kratos-rs project without protoc. The files are parsed in pure Rust
//! (protox, `load`), mapped to what the macros can express so that the `.proto`
//! export gives back the same descriptors (`map`, `http`, `rules`), and written as
//! one Rust module per proto package (`render`), or one service stub per service
//! (`server`). Nothing hand-written is ever overwritten (`output`).

mod diag;
mod http;
mod load;
mod map;
mod model;
mod names;
mod output;
mod render;
mod rules;
mod server;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use model::{Item, Package};

/// The arguments of `kratos proto import`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Write Rust (#[kratos::message], #[kratos::service], ...) for existing .proto files",
    long_about = "Parses the .proto files (no protoc needed) and writes one Rust module per proto \
                  package, plus a mod.rs declaring them, into --out: messages, enums, oneofs, maps, \
                  optional fields, services with their google.api.http routes, streaming methods, \
                  Go kratos error enums and validation rules. Imported API files are written too; \
                  google/protobuf, google/api, errors/errors.proto and validate files are not.\n\
                  What kratos-rs cannot express is an error naming file, line and element, and \
                  then nothing is written. Only files that start with the generator's header are \
                  ever replaced; a hand-written mod.rs is left as it is (the command says which \
                  modules to declare in it).\n\
                  Example: kratos proto import api/helloworld/v1/greeter.proto -I . --out src/api"
)]
pub struct ImportArgs {
    /// The .proto files to import.
    #[arg(required = true, value_name = "FILE.proto")]
    files: Vec<PathBuf>,
    /// A directory imports are looked up in (repeatable; default: the current directory).
    #[arg(short = 'I', long = "proto_path", value_name = "DIR")]
    include: Vec<PathBuf>,
    /// Where the Rust modules go.
    #[arg(short, long, value_name = "DIR", default_value = "src/api")]
    out: PathBuf,
}

/// The arguments of `kratos proto server`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Write an unimplemented service stub for each service of .proto files",
    long_about = "For each service of the .proto files, writes a file with a struct deriving \
                  Default and a #[kratos::service] impl of the imported trait whose methods answer \
                  501 UNIMPLEMENTED, plus a mod.rs declaring them. Existing files are never \
                  overwritten. The stubs name the API written by `kratos proto import` by --api.\n\
                  Example: kratos proto server api/helloworld/v1/greeter.proto --out src/service"
)]
pub struct ServerArgs {
    /// The .proto files whose services get stubs.
    #[arg(required = true, value_name = "FILE.proto")]
    files: Vec<PathBuf>,
    /// A directory imports are looked up in (repeatable; default: the current directory).
    #[arg(short = 'I', long = "proto_path", value_name = "DIR")]
    include: Vec<PathBuf>,
    /// Where the stubs go.
    #[arg(short, long, value_name = "DIR", default_value = "src/service")]
    out: PathBuf,
    /// The module path `kratos proto import` wrote the API to.
    #[arg(long, value_name = "PATH", default_value = "crate::api")]
    api: String,
}

/// Parses and maps the files, printing warnings; the packages, or the exit code.
fn packages(
    files: &[PathBuf],
    include: &[PathBuf],
) -> Result<(Vec<Package>, Vec<String>), ExitCode> {
    let loaded = load::load(files, include).map_err(|e| {
        eprintln!("kratos: {e}");
        ExitCode::FAILURE
    })?;
    let (packages, report) = map::map(&loaded.files);
    for w in &report.warnings {
        eprintln!("kratos: warning: {w}");
    }
    if !report.errors.is_empty() {
        for e in &report.errors {
            eprintln!("kratos: error: {e}");
        }
        eprintln!("kratos: {} error(s): nothing written", report.errors.len());
        return Err(ExitCode::FAILURE);
    }
    Ok((packages, loaded.roots))
}

/// Runs `kratos proto import`.
pub fn run_import(args: ImportArgs) -> ExitCode {
    let (packages, _) = match packages(&args.files, &args.include) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let modules: Vec<String> = packages.iter().map(|p| p.module.clone()).collect();
    let mut files: Vec<(PathBuf, String)> = packages
        .iter()
        .map(|p| {
            (
                args.out.join(format!("{}.rs", p.module)),
                render::package(p),
            )
        })
        .collect();
    files.extend(output::mod_rs(&args.out, &modules, render::HEADER, |all| {
        render::mod_rs(all, "one module per proto package")
    }));
    let foreign: Vec<&Path> = files
        .iter()
        .map(|(p, _)| p.as_path())
        .filter(|p| !output::ours(p, render::HEADER))
        .collect();
    if !foreign.is_empty() {
        for path in foreign {
            eprintln!(
                "kratos: error: {} exists and was not written by kratos proto import (no `{}` header): move it away or pick another --out",
                path.display(),
                render::HEADER
            );
        }
        eprintln!("kratos: nothing written");
        return ExitCode::FAILURE;
    }
    match output::write_all(&files) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kratos: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `kratos proto server`.
pub fn run_server(args: ServerArgs) -> ExitCode {
    let (packages, roots) = match packages(&args.files, &args.include) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let roots: HashSet<String> = roots.into_iter().collect();
    let mut files = Vec::new();
    let mut stems: Vec<String> = Vec::new();
    for package in &packages {
        for item in &package.items {
            let Item::Service(service) = item else {
                continue;
            };
            if !roots.contains(&service.file) {
                continue;
            }
            let mut stem = server::file_stem(service);
            if stems.contains(&stem) {
                stem = format!("{}_{stem}", package.module);
            }
            stems.push(stem.clone());
            files.push((
                args.out.join(format!("{stem}.rs")),
                server::stub(service, package, &args.api),
            ));
        }
    }
    if files.is_empty() {
        eprintln!("kratos: the files declare no service");
        return ExitCode::FAILURE;
    }
    let (kept, new): (Vec<_>, Vec<_>) = files.into_iter().partition(|(p, _)| p.exists());
    for (path, _) in &kept {
        eprintln!("kratos: {} exists: kept as it is", path.display());
    }
    let mut writes = new;
    writes.extend(output::mod_rs(&args.out, &stems, server::HEADER, |all| {
        render::mod_rs(all, "one module per service").replacen(render::HEADER, server::HEADER, 1)
    }));
    match output::write_all(&writes) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kratos: {e}");
            ExitCode::FAILURE
        }
    }
}
