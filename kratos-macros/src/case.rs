//! Name cases protobuf uses: UpperCamel method names, lowerCamel JSON names.

/// `say_hello` -> `SayHello`.
pub(crate) fn upper_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.trim_start_matches("r#").chars() {
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

/// `user_id` -> `userId`, protobuf's JSON name of a field.
pub(crate) fn lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.trim_start_matches("r#").chars() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_are_upper_camel() {
        assert_eq!(upper_camel("say_hello"), "SayHello");
        assert_eq!(upper_camel("get"), "Get");
        assert_eq!(upper_camel("r#type"), "Type");
        assert_eq!(upper_camel("list_v2_items"), "ListV2Items");
    }

    #[test]
    fn json_names_are_lower_camel() {
        assert_eq!(lower_camel("user_id"), "userId");
        assert_eq!(lower_camel("name"), "name");
        assert_eq!(lower_camel("r#type"), "type");
    }
}
