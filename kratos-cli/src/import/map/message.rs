//! Messages, their fields and oneofs: every field with its number and Rust type,
//! nested types flattened, each oneof an enum numbered from its first alternative.

use std::collections::HashSet;

use prost_reflect::{
    Cardinality, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor, Syntax,
};

use super::super::diag::comment;
use super::super::model::{Field, Item, Message, Oneof};
use super::super::names::{ident, lower_camel, snake, upper_camel};
use super::super::rules;
use super::Mapper;

impl Mapper {
    pub(super) fn message(&mut self, file: &FileDescriptor, message: &MessageDescriptor) {
        if message.is_map_entry() {
            return;
        }
        let full = message.full_name().to_owned();
        let name = self.names[&full].1.clone();
        let proto = message.descriptor_proto();
        if !proto.extension_range.is_empty() {
            self.report.error(
                file,
                message.path(),
                &full,
                "extension ranges (`extensions N to M`) cannot be imported: kratos-rs messages have no extensions".to_owned(),
            );
        }
        for ext in message.extensions() {
            self.report.error(
                file,
                ext.path(),
                ext.full_name(),
                "extensions (`extend`) cannot be imported: kratos-rs messages have no extensions"
                    .to_owned(),
            );
        }
        let mut fields = Vec::new();
        let mut done_oneofs = HashSet::new();
        for field in message.fields() {
            if field.is_group() {
                self.report.error(
                    file,
                    field.path(),
                    field.full_name(),
                    "groups cannot be imported: declare a message and a field of that type"
                        .to_owned(),
                );
                continue;
            }
            if field.cardinality() == Cardinality::Required {
                self.report.error(
                    file,
                    field.path(),
                    field.full_name(),
                    "proto2 `required` cannot be imported: kratos-rs messages are proto3 (make it optional and check it with a rule)".to_owned(),
                );
                continue;
            }
            if field.json_name() != lower_camel(field.name()) {
                self.report.error(
                    file,
                    field.path(),
                    field.full_name(),
                    format!("json_name \"{}\" cannot be imported: kratos-rs derives the JSON name from the field name ({})", field.json_name(), lower_camel(field.name())),
                );
            }
            match field.containing_oneof() {
                Some(oneof) if !oneof.is_synthetic() => {
                    if done_oneofs.insert(oneof.name().to_owned())
                        && let Some(f) = self.oneof(file, message, &name, &oneof)
                    {
                        fields.push(f);
                    }
                }
                _ => {
                    if let Some(f) = self.field(file, message, &field) {
                        fields.push(f);
                    }
                }
            }
        }
        let doc = comment(file, message.path());
        self.push(file, Item::Message(Message { doc, name, fields }));
        for oneof in std::mem::take(&mut self.pending) {
            self.push(file, oneof);
        }
        for child in message.child_messages() {
            self.message(file, &child);
        }
        for e in message.child_enums() {
            self.enumeration(file, &e);
        }
    }

    fn field_ident(&mut self, file: &FileDescriptor, field: &FieldDescriptor) -> Option<String> {
        let id = ident(field.name());
        if id.is_none() {
            self.report.error(
                file,
                field.path(),
                field.full_name(),
                format!(
                    "`{}` cannot be a Rust field name: rename the field",
                    field.name()
                ),
            );
        }
        id
    }

    fn field(
        &mut self,
        file: &FileDescriptor,
        message: &MessageDescriptor,
        field: &FieldDescriptor,
    ) -> Option<Field> {
        let owner = message.full_name();
        let ident = self.field_ident(file, field)?;
        let ty = if field.is_map() {
            let Kind::Message(entry) = field.kind() else {
                return None;
            };
            let key = self.value_type(file, field, entry.map_entry_key_field().kind(), owner)?;
            let value =
                self.value_type(file, field, entry.map_entry_value_field().kind(), owner)?;
            // A map value is never boxed: the map is already on the heap.
            let value = value
                .strip_prefix("Box<")
                .and_then(|v| v.strip_suffix('>'))
                .map(str::to_owned)
                .unwrap_or(value);
            format!("HashMap<{key}, {value}>")
        } else if field.is_list() {
            let inner = self.value_type(file, field, field.kind(), owner)?;
            let inner = inner
                .strip_prefix("Box<")
                .and_then(|v| v.strip_suffix('>'))
                .map(str::to_owned)
                .unwrap_or(inner);
            format!("Vec<{inner}>")
        } else {
            let inner = self.value_type(file, field, field.kind(), owner)?;
            let is_message = matches!(field.kind(), Kind::Message(_));
            let proto3_optional = field.field_descriptor_proto().proto3_optional();
            let proto2_optional = file.syntax() != Syntax::Proto3
                && field.cardinality() == Cardinality::Optional
                && !is_message;
            if is_message && proto3_optional {
                self.report.warn(
                    file,
                    field.path(),
                    field.full_name(),
                    "`optional` on a message field is dropped: a message field has presence already (the export writes it without `optional`)".to_owned(),
                );
            }
            if is_message || proto3_optional || proto2_optional {
                format!("Option<{inner}>")
            } else {
                inner
            }
        };
        let rules = rules::field_rules(&mut self.report, file, field, &ty);
        Some(Field {
            doc: comment(file, field.path()),
            ident,
            ty,
            number: field.number(),
            rules,
        })
    }

    fn oneof(
        &mut self,
        file: &FileDescriptor,
        message: &MessageDescriptor,
        message_name: &str,
        oneof: &prost_reflect::OneofDescriptor,
    ) -> Option<Field> {
        let element = oneof.full_name().to_owned();
        let Some(field_ident) = ident(oneof.name()) else {
            self.report.error(
                file,
                oneof.path(),
                &element,
                format!(
                    "`{}` cannot be a Rust field name: rename the oneof",
                    oneof.name()
                ),
            );
            return None;
        };
        let members: Vec<FieldDescriptor> = oneof.fields().collect();
        let first = members.first()?.number();
        let mut variants = Vec::new();
        let mut ok = true;
        for (i, member) in members.iter().enumerate() {
            if member.number() != first + i as u32 {
                self.report.error(
                    file,
                    member.path(),
                    member.full_name(),
                    format!("a kratos-rs oneof numbers its alternatives one after another from the first ({first}, {}, ...): this one is {}; renumber the oneof's fields", first + 1, member.number()),
                );
                ok = false;
            }
            let variant = upper_camel(member.name());
            if snake(&variant) != member.name() {
                self.report.error(
                    file,
                    member.path(),
                    member.full_name(),
                    format!("kratos-rs names a oneof alternative after its Rust variant in snake_case; no variant gives back `{}`: rename it in snake_case", member.name()),
                );
                ok = false;
            }
            let Some(ty) = self.value_type(file, member, member.kind(), message.full_name()) else {
                ok = false;
                continue;
            };
            if !rules::field_rules(&mut self.report, file, member, &ty).is_empty() {
                self.report.warn(
                    file,
                    member.path(),
                    member.full_name(),
                    "validation rules dropped: kratos-rs takes no #[rule] on a oneof alternative"
                        .to_owned(),
                );
            }
            variants.push((variant, ty, comment(file, member.path())));
        }
        if !ok {
            return None;
        }
        let mut enum_name = format!("{message_name}{}", upper_camel(oneof.name()));
        if self
            .names
            .values()
            .any(|(p, n)| p == file.package_name() && *n == enum_name)
        {
            enum_name.push_str("Oneof");
        }
        let doc = comment(file, oneof.path());
        self.pending.push(Item::Oneof(Oneof {
            doc: format!("The `{}` oneof of {message_name}.", oneof.name()),
            name: enum_name.clone(),
            variants,
        }));
        Some(Field {
            doc,
            ident: field_ident,
            ty: format!("Option<{enum_name}>"),
            number: first,
            rules: Vec::new(),
        })
    }
}
