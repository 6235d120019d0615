//! `kratos new NAME`: writes a project that builds and serves as written, from
//! templates compiled into the binary (`templates/new/`), so it needs no network and
//! no git clone (Go kratos clones its layout repository, which fails behind firewalls).
//! The layout is Go kratos's: api, service, biz, data, configs; the repository reaches
//! the service through `main` (dependency injection by hand, as kratos-rs does it).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The arguments of `kratos new`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Create a new kratos-rs project in ./NAME",
    long_about = "Writes ./NAME: a package and binary NAME serving the Greeter API over HTTP (:8000) \
                  and gRPC (:9000), laid out as api/, service/, biz/, data/ with configs/, a \
                  Dockerfile and a README. An existing ./NAME is refused and nothing is written."
)]
pub struct Args {
    /// The project's package and binary name (letters, digits, `-`, `_`; not starting with a digit).
    name: String,
    /// Point the `kratos` dependency at this local checkout of kratos-rs instead of the
    /// released version.
    #[arg(long, value_name = "DIR")]
    path_dep: Option<PathBuf>,
    /// Register the service in a registry: `etcd` adds kratos-registry-etcd and a
    /// `registry` section to the config.
    #[arg(long, value_name = "KIND", value_parser = ["etcd"])]
    registry: Option<String>,
}

/// One file of the project: its path in the project and its template text.
struct Template {
    path: &'static str,
    text: &'static str,
}

macro_rules! templates {
    ($($path:literal <- $file:literal),* $(,)?) => {
        &[$(Template { path: $path, text: include_str!(concat!("../templates/new/", $file)) }),*]
    };
}

/// Every file `kratos new` writes.
const TEMPLATES: &[Template] = templates![
    "Cargo.toml" <- "Cargo.toml.tmpl",
    "README.md" <- "README.md",
    "Dockerfile" <- "Dockerfile",
    ".dockerignore" <- "dockerignore",
    ".gitignore" <- "gitignore",
    "configs/config.yaml" <- "configs/config.yaml",
    "src/main.rs" <- "src/main.rs",
    "src/api/mod.rs" <- "src/api/mod.rs",
    "src/api/greeter.rs" <- "src/api/greeter.rs",
    "src/service/mod.rs" <- "src/service/mod.rs",
    "src/service/greeter.rs" <- "src/service/greeter.rs",
    "src/biz/mod.rs" <- "src/biz/mod.rs",
    "src/biz/greeter.rs" <- "src/biz/greeter.rs",
    "src/data/mod.rs" <- "src/data/mod.rs",
    "src/data/greeter.rs" <- "src/data/greeter.rs",
];

/// Runs `kratos new`.
pub fn run(args: Args) -> ExitCode {
    match create(&args) {
        Ok(dir) => {
            let dir = std::path::absolute(&dir).unwrap_or(dir);
            if let Some(workspace) = enclosing_workspace(&dir) {
                // cargo refuses a package under a workspace that does not list it.
                eprintln!(
                    "note: {name} is inside the cargo workspace {ws}: add \"{name}\" to its `members`, or move {name} out of it, before building",
                    name = args.name,
                    ws = workspace.display()
                );
            }
            println!(
                "Created {name} in {dir}\n\n  cd {name}\n  kratos run          # or: cargo run -- -conf configs\n  curl http://127.0.0.1:8000/helloworld/kratos",
                name = args.name,
                dir = dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kratos: {e}");
            ExitCode::from(2)
        }
    }
}

/// Writes the project; on any refusal nothing has been written.
fn create(args: &Args) -> Result<PathBuf, String> {
    check_name(&args.name)?;
    let dir = PathBuf::from(&args.name);
    if dir.symlink_metadata().is_ok() {
        return Err(format!(
            "{} already exists: pick another name or remove it (nothing was written)",
            dir.display()
        ));
    }
    let values = Values::new(args)?;
    let rendered: Vec<(&str, String)> = TEMPLATES
        .iter()
        .map(|t| (t.path, render(t.text, &values)))
        .collect();
    // create_dir (not create_dir_all): a directory made by someone else meanwhile is refused too.
    std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let written = rendered.into_iter().try_for_each(|(path, text)| {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
    });
    if let Err(e) = written {
        // The directory is ours (created above): a half-written project is worse than none.
        let _ = std::fs::remove_dir_all(&dir);
        return Err(format!("{e} (nothing was kept)"));
    }
    Ok(dir)
}

/// The Cargo.toml of a workspace above `dir`, if there is one.
fn enclosing_workspace(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().skip(1).find_map(|parent| {
        let manifest = parent.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).ok()?;
        text.lines()
            .any(|l| l.trim() == "[workspace]")
            .then_some(manifest)
    })
}

/// Refuses what cargo would refuse as a package name, or what would clash with the
/// crates the project uses.
fn check_name(name: &str) -> Result<(), String> {
    let invalid = |why: &str| {
        Err(format!(
            "invalid project name {name:?}: {why} (use letters, digits, `-` and `_`, starting with a letter, e.g. `helloworld` or `user-service`)"
        ))
    };
    let Some(first) = name.chars().next() else {
        return invalid("it is empty");
    };
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return invalid(&format!("{c:?} is not allowed"));
    }
    if !first.is_ascii_alphabetic() {
        return invalid("it must start with a letter");
    }
    let ident = name.replace('-', "_");
    if RUST_KEYWORDS.contains(&ident.as_str()) {
        return invalid("it is a Rust keyword");
    }
    if RESERVED.contains(&ident.as_str()) || ident.starts_with("kratos_") {
        return invalid("it is the name of a crate the project uses");
    }
    Ok(())
}

/// Keywords: cargo refuses them as package names (the crate could not be named in Rust).
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Crate names the project cannot take: the standard library's and its own dependencies'.
const RESERVED: &[&str] = &["std", "core", "alloc", "proc_macro", "test", "kratos"];

/// What the templates' `{{...}}` placeholders become.
struct Values {
    name: String,
    kratos_dep: String,
    registry_dep: String,
    registry_use: String,
    registry_config: String,
    docker_build_deps: String,
    docker_note: String,
}

impl Values {
    fn new(args: &Args) -> Result<Self, String> {
        let version = env!("CARGO_PKG_VERSION");
        let checkout = args.path_dep.as_deref().map(checkout).transpose()?;
        let dep = |sub: &str| match &checkout {
            Some(root) if sub.is_empty() => format!("{{ path = {} }}", toml_string(root)),
            Some(root) => format!("{{ path = {} }}", toml_string(&root.join(sub))),
            None => format!("\"{version}\""),
        };
        let etcd = args.registry.as_deref() == Some("etcd");
        let mut values = Values {
            name: args.name.clone(),
            kratos_dep: dep(""),
            registry_dep: String::new(),
            registry_use: String::new(),
            registry_config: String::new(),
            docker_build_deps: String::new(),
            docker_note: String::new(),
        };
        if etcd {
            values.registry_dep =
                format!("kratos-registry-etcd = {}", dep("contrib/registry-etcd"));
            values.registry_use = "// Links the etcd backend, so `registry.kind: etcd` in the config finds it.\nuse kratos_registry_etcd as _;\n".to_owned();
            values.registry_config = "# Registered in etcd once both servers are up, as Go kratos registers\n# (/microservices/NAME/ID); deregistered first thing on stop.\nregistry:\n  kind: etcd\n  endpoints: [127.0.0.1:2379]\n  timeout: 10s\n".replace("NAME", &args.name);
            // etcd-client compiles etcd's .proto files with protoc in its build script.
            values.docker_build_deps = "RUN apt-get update && apt-get install -y --no-install-recommends protobuf-compiler && rm -rf /var/lib/apt/lists/*\n".to_owned();
        }
        if checkout.is_some() {
            values.docker_note = "\n`Cargo.toml` points `kratos` at a local checkout (`kratos new --path-dep`), which is outside\nthe Docker build context: switch it to a version before building the image.\n".to_owned();
        }
        Ok(values)
    }

    fn get(&self, key: &str) -> Option<&str> {
        Some(match key {
            "name" => &self.name,
            "kratos_dep" => &self.kratos_dep,
            "registry_dep" => &self.registry_dep,
            "registry_use" => &self.registry_use,
            "registry_config" => &self.registry_config,
            "docker_build_deps" => &self.docker_build_deps,
            "docker_note" => &self.docker_note,
            _ => return None,
        })
    }
}

/// The kratos-rs checkout `dir` as an absolute path (the project's Cargo.toml is
/// elsewhere), refused unless it holds the `kratos` package.
fn checkout(dir: &Path) -> Result<PathBuf, String> {
    let root = dir
        .canonicalize()
        .map_err(|e| format!("--path-dep {}: {e}", dir.display()))?;
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    if !manifest.lines().any(|l| l.trim() == "name = \"kratos\"") {
        return Err(format!(
            "--path-dep {}: not a kratos-rs checkout (no Cargo.toml of the `kratos` package there)",
            dir.display()
        ));
    }
    Ok(root)
}

/// `path` as a TOML basic string.
fn toml_string(path: &Path) -> String {
    let mut out = String::from("\"");
    for c in path.to_string_lossy().chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` with its `{{key}}` placeholders replaced; a line that held only a
/// placeholder that is empty here is dropped, so optional parts leave no blank line.
fn render(text: &str, values: &Values) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut rendered = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start..].find("}}") else {
                break;
            };
            let key = &rest[start + 2..start + len];
            match values.get(key) {
                Some(value) => {
                    rendered.push_str(&rest[..start]);
                    rendered.push_str(value);
                }
                // Not ours (e.g. `{name}` in a route stays, and so would `{{x}}`).
                None => rendered.push_str(&rest[..start + len + 2]),
            }
            rest = &rest[start + len + 2..];
        }
        rendered.push_str(rest);
        let only_placeholder = line.trim().starts_with("{{") && line.trim().ends_with("}}");
        if only_placeholder && rendered.trim().is_empty() {
            continue;
        }
        // A multi-line value already ends its last line.
        if only_placeholder && rendered.ends_with("\n\n") {
            rendered.pop();
        }
        out.push_str(&rendered);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["demo", "user-service", "a_b2", "Demo"] {
            assert_eq!(check_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "", "1demo", "-x", "a/b", "a b", "fn", "async", "kratos", "kratos-x", "std", "é",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn placeholders() {
        let args = Args {
            name: "demo".into(),
            path_dep: None,
            registry: None,
        };
        let values = Values::new(&args).unwrap();
        assert_eq!(
            render("a {{name}} {x}\n{{registry_dep}}\nb\n", &values),
            "a demo {x}\nb\n"
        );
        let etcd = Values::new(&Args {
            registry: Some("etcd".into()),
            ..args
        })
        .unwrap();
        assert_eq!(
            render("x\n{{registry_dep}}\ny\n", &etcd),
            "x\nkratos-registry-etcd = \"0.1.0\"\ny\n"
        );
        assert_eq!(toml_string(Path::new("/a\"b\\c")), "\"/a\\\"b\\\\c\"");
    }
}
