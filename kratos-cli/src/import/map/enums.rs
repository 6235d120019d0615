//! Proto enums, whose value names are `{ENUM}_{VARIANT}` or, all of them without
//! the prefix, `{VARIANT}` (`unprefixed`), to come back unchanged,
//! and Go kratos error enums, which become `#[kratos::error_code]`.

use std::collections::HashSet;

use prost_reflect::{EnumDescriptor, FileDescriptor};

use super::super::diag::comment;
use super::super::model::{Enum, ErrorEnum, ErrorValue, Item};
use super::super::names::{screaming_snake, upper_camel};
use super::{Mapper, int_extension};

impl Mapper {
    pub(super) fn enumeration(&mut self, file: &FileDescriptor, e: &EnumDescriptor) {
        let full = e.full_name().to_owned();
        let name = self.names[&full].1.clone();
        let doc = comment(file, e.path());
        let mut numbers = HashSet::new();
        if self.error_enums.contains(&full) {
            let mut values = Vec::new();
            for v in e.values() {
                let variant = upper_camel(&v.name().to_lowercase());
                let derived = screaming_snake(&variant);
                values.push(ErrorValue {
                    doc: comment(file, v.path()),
                    code: int_extension(v.options(), "errors.code"),
                    reason: (derived != v.name()).then(|| v.name().to_owned()),
                    variant,
                });
            }
            let default = int_extension(e.options(), "errors.default_code");
            self.push(
                file,
                Item::Errors(ErrorEnum {
                    doc,
                    name,
                    default,
                    values,
                }),
            );
            return;
        }
        let prefix = screaming_snake(&name);
        // Values named without the enum's prefix (as protos written before that
        // convention name them) keep their names through `unprefixed`.
        let unprefixed = !e
            .values()
            .all(|v| v.name().starts_with(&format!("{prefix}_")));
        let mut values = Vec::new();
        for (i, v) in e.values().enumerate() {
            if i == 0 && v.number() != 0 {
                self.report.error(
                    file,
                    v.path(),
                    &format!("{full}.{}", v.name()),
                    "the first value of a kratos-rs enum is 0 (its default): add a first value = 0"
                        .to_owned(),
                );
            }
            if !numbers.insert(v.number()) {
                self.report.error(
                    file,
                    v.path(),
                    &format!("{full}.{}", v.name()),
                    format!("aliases (allow_alias) cannot be imported: number {} is taken by an earlier value", v.number()),
                );
                continue;
            }
            let rest = if unprefixed {
                v.name()
            } else {
                &v.name()[prefix.len() + 1..]
            };
            let variant = upper_camel(&rest.to_lowercase());
            if variant.is_empty()
                || !variant.starts_with(|c: char| c.is_ascii_alphabetic())
                || screaming_snake(&variant) != rest
            {
                self.report.error(
                    file,
                    v.path(),
                    &format!("{full}.{}", v.name()),
                    format!("no Rust variant gives back the value name {} (variants are written in SCREAMING_SNAKE_CASE{}): rename it", v.name(), if unprefixed { String::new() } else { format!(", after {prefix}_") }),
                );
                continue;
            }
            values.push((variant, v.number(), comment(file, v.path())));
        }
        self.push(
            file,
            Item::Enum(Enum {
                doc,
                name,
                unprefixed,
                values,
            }),
        );
    }
}
