//! One HTTP binding of a method: the checked [`Route`] that `expand` writes a
//! descriptor for, and the grammar of its path template (`/v1/{name}/{item.id}`).
//! The grammar returns sentences, not spanned errors: `validate` knows the tokens.

use syn::LitStr;

/// The HTTP verbs a route may bind, by the key written in `#[route(...)]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    pub(super) fn from_key(key: &str) -> Option<Verb> {
        Some(match key {
            "get" => Verb::Get,
            "post" => Verb::Post,
            "put" => Verb::Put,
            "patch" => Verb::Patch,
            "delete" => Verb::Delete,
            _ => return None,
        })
    }

    /// The key as written: `get`, `post`, ...
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }

    /// GET and DELETE carry no body: their fields come from the path and query.
    pub(super) fn has_body(self) -> bool {
        !matches!(self, Verb::Get | Verb::Delete)
    }
}

/// Where the body goes.
pub(super) enum Body {
    None,
    All,
    Field(String, LitStr),
}

/// One checked route.
pub(super) struct Route {
    pub(super) verb: Verb,
    pub(super) path: LitStr,
    /// The field path of each `{variable}`, in order.
    pub(super) params: Vec<String>,
    pub(super) body: Body,
    pub(super) status: u16,
    /// The route's own body limit in bytes, over the server's.
    pub(super) max_body: Option<u64>,
}

/// Bytes in `64MiB`-style text, by the units `server.http.max_body` takes.
pub(super) fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return None,
    };
    number.checked_mul(factor).filter(|&n| n > 0)
}

/// A Rust-style identifier: what a field name and each part of a field path is.
pub(super) fn is_ident(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The field paths named by `{...}` in a path template, or what is wrong with it.
pub(super) fn template_params(path: &str) -> Result<Vec<String>, String> {
    if !path.starts_with('/') {
        return Err(format!(
            "a route path starts with `/`: write \"/{}\"",
            path.trim_start_matches('/')
        ));
    }
    let mut params: Vec<String> = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err("unmatched `}` in the route path".to_owned());
        }
        let Some(len) = rest[open + 1..].find('}') else {
            return Err("unclosed `{` in the route path: write `{field}`".to_owned());
        };
        let name = &rest[open + 1..open + 1 + len];
        if name.contains('=') || name.contains('*') {
            return Err(format!(
                "path patterns like `{{{name}}}` are not supported: write a plain variable such as `{{name}}`"
            ));
        }
        if name.is_empty() || !name.split('.').all(is_ident) {
            return Err(format!(
                "`{{{name}}}` is not a field path: write `{{field}}` or `{{field.subfield}}`"
            ));
        }
        if params.iter().any(|p| p == name) {
            return Err(format!("`{{{name}}}` appears twice in the route path"));
        }
        params.push(name.to_owned());
        let after = &rest[open + 1 + len + 1..];
        if after.starts_with('{') {
            return Err("two variables need a literal between them, like `/{a}/{b}`".to_owned());
        }
        if !after.is_empty() && !after.starts_with('/') {
            // The router matches a variable against a whole segment only.
            let suffix = after.split('/').next().unwrap_or(after);
            let verb = suffix.trim_start_matches(':');
            return Err(format!(
                "a variable fills its whole path segment: `{{{name}}}{suffix}` cannot be routed; \
                 write `{{{name}}}/{verb}` (or put the verb before the variable, like `/{verb}/{{{name}}}`)"
            ));
        }
        rest = after;
    }
    Ok(params)
}

/// A path with its variables blanked, so `/a/{x}` and `/a/{y}` compare equal.
pub(super) fn shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                out.push_str("{}");
            }
            '}' => depth -= 1,
            _ if depth > 0 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{shape, template_params};

    #[test]
    fn template_variables_in_order() {
        assert_eq!(
            template_params("/v1/{name}/items/{item.id}/get").unwrap(),
            ["name", "item.id"]
        );
        assert!(template_params("/v1/things").unwrap().is_empty());
    }

    #[test]
    fn template_mistakes_are_named() {
        let error = |path| template_params(path).unwrap_err();
        assert!(error("v1/{name}").contains("write \"/v1/{name}\""));
        assert!(error("/v1/name}").contains("unmatched `}`"));
        assert!(error("/v1/{name").contains("unclosed `{`"));
        assert!(error("/v1/{name=things/*}").contains("not supported"));
        assert!(error("/v1/{1st}").contains("not a field path"));
        assert!(error("/v1/{a.}").contains("not a field path"));
        assert!(error("/v1/{}").contains("not a field path"));
        assert!(error("/v1/{id}/{id}").contains("appears twice"));
        assert!(error("/v1/{a}{b}").contains("a literal between them"));
        assert!(error("/v1/users/{login}:ban").contains("write `{login}/ban`"));
        assert!(error("/v1/{a}.json/x").contains("`{a}.json` cannot be routed"));
        assert_eq!(template_params("/v1/users:batchGet").unwrap().len(), 0);
    }

    #[test]
    fn shape_ignores_variable_names() {
        assert_eq!(shape("/a/{x}/b"), shape("/a/{y.z}/b"));
        assert_ne!(shape("/a/{x}"), shape("/a/{x}/b"));
    }
}
