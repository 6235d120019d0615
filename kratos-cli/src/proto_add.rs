//! `kratos proto add api/blog/v1/article.proto`: writes Go kratos's CRUD API template
//! (Create/Update/Delete/Get/List of one service, their empty messages), the file
//! `kratos proto add` writes in Go: package from the directory, `go_package` from the
//! module (here the Cargo package) and the directory, `java_*` options. Fill in the
//! messages, then `kratos proto import` turns it into Rust.

use std::path::{Component, Path};
use std::process::ExitCode;

/// The arguments of `kratos proto add`.
#[derive(Debug, clap::Args)]
#[command(
    about = "Write a CRUD .proto API template (as Go kratos's `kratos proto add`)",
    long_about = "Writes the .proto file PATH with a service named after the file \
                  (article.proto -> Article) and its Create/Update/Delete/Get/List methods and \
                  messages; the proto package is the directory (api/blog/v1 -> api.blog.v1). \
                  An existing file is refused.\nExample: kratos proto add api/blog/v1/article.proto"
)]
pub struct Args {
    /// The file to write, under a directory that names its package.
    #[arg(value_name = "PATH")]
    path: String,
}

/// Runs `kratos proto add`.
pub fn run(args: Args) -> ExitCode {
    let module = cargo_package_name();
    let result = template(&args.path, module.as_deref()).and_then(|text| {
        let path = Path::new(&args.path);
        if path.symlink_metadata().is_ok() {
            return Err(format!(
                "{} already exists (nothing was written)",
                args.path
            ));
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        // create_new: a file that appeared since the check is not overwritten either.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .map_err(|e| format!("cannot write {}: {e}", args.path))
    });
    match result {
        Ok(()) => {
            println!("Created {}", args.path);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kratos: {e}");
            ExitCode::from(2)
        }
    }
}

/// The `name` of the Cargo.toml in the current directory, standing in for Go's
/// module path in `go_package`.
fn cargo_package_name() -> Option<String> {
    let manifest = std::fs::read_to_string("Cargo.toml").ok()?;
    let package = manifest.split("[package]").nth(1)?;
    package.lines().find_map(|line| {
        let value = line
            .trim()
            .strip_prefix("name")?
            .trim_start()
            .strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_owned())
    })
}

/// The `.proto` text for `path`, or why `path` cannot hold one.
fn template(path: &str, module: Option<&str>) -> Result<String, String> {
    let usage =
        "give a relative path whose directories name the package, e.g. api/blog/v1/article.proto";
    let p = Path::new(path);
    let mut dirs = Vec::new();
    for component in p.parent().into_iter().flat_map(Path::components) {
        match component {
            Component::Normal(dir) => dirs.push(dir.to_str().unwrap_or_default()),
            Component::CurDir => {}
            _ => return Err(format!("{path}: {usage}")),
        }
    }
    if dirs.is_empty() {
        return Err(format!("{path}: the proto path needs a directory: {usage}"));
    }
    let Some(stem) = p
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".proto"))
    else {
        return Err(format!("{path}: not a .proto file: {usage}"));
    };
    for part in dirs.iter().chain([&stem]) {
        if !is_identifier(part) {
            return Err(format!(
                "{path}: {part:?} is not a proto identifier (letters, digits and `_`, not starting with a digit)"
            ));
        }
    }
    let package = dirs.join(".");
    let dir = dirs.join("/");
    let last = dirs[dirs.len() - 1];
    let go_package = match module {
        Some(module) => format!("{module}/{dir};{last}"),
        None => format!("{dir};{last}"),
    };
    let service = upper_camel(stem);
    let mut text = format!(
        "syntax = \"proto3\";\n\npackage {package};\n\noption go_package = \"{go_package}\";\noption java_multiple_files = true;\noption java_package = \"{package}\";\n\nservice {service} {{\n"
    );
    const VERBS: [&str; 5] = ["Create", "Update", "Delete", "Get", "List"];
    for verb in VERBS {
        text.push_str(&format!(
            "    rpc {verb}{service} ({verb}{service}Request) returns ({verb}{service}Reply);\n"
        ));
    }
    text.push('}');
    for verb in VERBS {
        text.push_str(&format!(
            "\n\nmessage {verb}{service}Request {{}}\nmessage {verb}{service}Reply {{}}"
        ));
    }
    text.push('\n');
    Ok(text)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `user_info` -> `UserInfo`, as Go kratos names the service after the file.
fn upper_camel(s: &str) -> String {
    s.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_kratos_names() {
        let text = template("api/blog/v1/article.proto", Some("demo")).unwrap();
        assert!(text.contains("package api.blog.v1;"), "{text}");
        assert!(
            text.contains("option go_package = \"demo/api/blog/v1;v1\";"),
            "{text}"
        );
        assert!(
            text.contains("option java_package = \"api.blog.v1\";"),
            "{text}"
        );
        assert!(text.contains("rpc ListArticle (ListArticleRequest) returns (ListArticleReply);"));
        assert_eq!(upper_camel("user_info"), "UserInfo");
        assert!(
            template("./api/x_y/v1/user_info.proto", None)
                .unwrap()
                .contains("service UserInfo {")
        );
    }

    #[test]
    fn refused_paths() {
        for bad in [
            "article.proto",
            "/abs/v1/a.proto",
            "api/../a.proto",
            "api/v1/a.txt",
            "api/1v/a.proto",
            "api/v1/my-file.proto",
        ] {
            assert!(template(bad, None).is_err(), "{bad}");
        }
    }
}
