//! Name cases protobuf uses: UpperCamel method names, lowerCamel JSON names.

/// `say_hello` -> `SayHello`.
pub(crate) fn upper_camel(name: &str) -> String {
    camel(name, true)
}

/// `user_id` -> `userId`, protobuf's JSON name of a field.
pub(crate) fn lower_camel(name: &str) -> String {
    camel(name, false)
}

/// Drops underscores, upper-casing the letter after each (and the first when `upper`).
fn camel(name: &str, upper: bool) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = upper;
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

/// `UserNotFound` -> `user_not_found`; `HTTPError` -> `http_error`.
pub(crate) fn snake(name: &str) -> String {
    let chars: Vec<char> = name.trim_start_matches("r#").chars().collect();
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

/// `UserNotFound` -> `USER_NOT_FOUND`, the reason Go kratos derives from an enum value.
pub(crate) fn screaming_snake(name: &str) -> String {
    snake(name).to_uppercase()
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
    fn reasons_are_screaming_snake() {
        assert_eq!(screaming_snake("UserNotFound"), "USER_NOT_FOUND");
        assert_eq!(screaming_snake("HTTPError"), "HTTP_ERROR");
        assert_eq!(screaming_snake("V2Failed"), "V2_FAILED");
        assert_eq!(snake("InvalidName"), "invalid_name");
    }

    #[test]
    fn json_names_are_lower_camel() {
        assert_eq!(lower_camel("user_id"), "userId");
        assert_eq!(lower_camel("name"), "name");
        assert_eq!(lower_camel("r#type"), "type");
    }
}
