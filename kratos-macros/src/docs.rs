//! The text of an item's `///` comments, carried into descriptors so the `.proto`
//! export and OpenAPI keep the documentation the user wrote.

use syn::{Attribute, Expr, ExprLit, Lit, Meta};

/// The doc comment lines of `attrs`, trimmed of the one leading space rustdoc adds.
pub(crate) fn of(attrs: &[Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_owned()
        })
        .collect();
    lines.join("\n").trim().to_owned()
}
