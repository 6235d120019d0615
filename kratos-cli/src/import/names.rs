//! How proto names become Rust names, and back: the macros derive every proto name
//! from a Rust identifier (`say_hello` -> `SayHello`, `UserNotFound` ->
//! `USER_NOT_FOUND`), so an import only keeps a name it can give back unchanged.
//! These follow the macros' own rules (kratos-macros/src/case.rs), written again
//! here because a proc-macro crate exports nothing else.

/// `say_hello` -> `SayHello`: underscores dropped, the next letter and the first upper case.
pub fn upper_camel(name: &str) -> String {
    camel(name, true)
}

/// `user_id` -> `userId`: protobuf's JSON name of a field.
pub fn lower_camel(name: &str) -> String {
    camel(name, false)
}

fn camel(name: &str, upper: bool) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = upper;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `UserNotFound` -> `user_not_found`; `HTTPError` -> `http_error`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// `UserNotFound` -> `USER_NOT_FOUND`.
pub fn screaming_snake(name: &str) -> String {
    snake(name).to_uppercase()
}

/// Keywords a raw identifier (`r#type`) can stand for.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
    "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    "abstract", "become", "box", "do", "final", "gen", "macro", "override", "priv", "try",
    "typeof", "unsized", "virtual", "yield",
];

/// Keywords no identifier can be, not even raw.
const RESERVED: &[&str] = &["self", "Self", "super", "crate", "_"];

/// The Rust identifier for a proto name (`type` -> `r#type`), or `None` when Rust
/// has no identifier that the macros would read back as this name.
pub fn ident(name: &str) -> Option<String> {
    if RESERVED.contains(&name) {
        None
    } else if KEYWORDS.contains(&name) {
        Some(format!("r#{name}"))
    } else {
        Some(name.to_owned())
    }
}

/// The module a proto package is written to: `helloworld.v1` -> `helloworld_v1`.
pub fn module(package: &str) -> String {
    let module = package.replace('.', "_");
    match ident(&module) {
        Some(m) if !m.starts_with("r#") => m,
        _ => format!("{module}_"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_as_the_macros_write_them() {
        assert_eq!(upper_camel("say_hello"), "SayHello");
        assert_eq!(snake("SayHello"), "say_hello");
        assert_eq!(snake("HTTPError"), "http_error");
        assert_eq!(screaming_snake("V2Failed"), "V2_FAILED");
        assert_eq!(lower_camel("display_name"), "displayName");
        assert_eq!(ident("type").unwrap(), "r#type");
        assert_eq!(ident("self"), None);
        assert_eq!(module("helloworld.v1"), "helloworld_v1");
    }
}
