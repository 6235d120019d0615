//! How deeply a JSON, XML or YAML body nests, measured before the real parse.
//!
//! Checking first keeps a hostile body from costing more than one linear pass: the
//! parsers are safe from stack overflows on their own (serde_json stops at 128 levels,
//! quick-xml and serde_norway skip unknown content without recursion), but YAML's
//! scanner spends time in proportion to the flow depth on every token, so a few
//! hundred kilobytes of `{a: {a: ...` take tens of seconds before serde sees a
//! single value. Each check here counts the containers of the body exactly as its
//! parser will see them and stops at the first one more than [`MAX_DEPTH`] levels
//! below the top-level one: a body that passes is parsed as before, one that fails
//! is [`TooDeep`].
//!
//! A body too short to hold that many openings is not scanned at all.

use super::depth::{MAX_DEPTH, TooDeep};

/// JSON: objects and arrays nested more than [`MAX_DEPTH`] below the top-level one.
///
/// Brackets inside strings are text, so strings (with their escapes) are skipped;
/// anything else that is not valid JSON is the parser's to report.
pub(crate) fn json(bytes: &[u8]) -> Result<(), TooDeep> {
    const LIMIT: usize = MAX_DEPTH + 1;
    if bytes.len() <= LIMIT {
        return Ok(());
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > LIMIT {
                    return Err(TooDeep);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// XML: elements nested more than [`MAX_DEPTH`] below the root, read with the same
/// quick-xml reader the codec uses. The innermost element holds a value, as a
/// JSON string does, and is not a level: `<R><b>1</b></R>` is as deep as `{"b": 1}`.
#[cfg(feature = "xml")]
pub(crate) fn xml(text: &str) -> Result<(), TooDeep> {
    use quick_xml::events::Event;
    const LIMIT: usize = MAX_DEPTH + 2;
    if text.bytes().filter(|&b| b == b'<').count() <= LIMIT {
        return Ok(());
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => {
                depth += 1;
                if depth > LIMIT {
                    return Err(TooDeep);
                }
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            // Malformed XML is the deserializer's to report, with its own message.
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// YAML: mappings and sequences, block or flow, nested more than [`MAX_DEPTH`] below
/// the top-level one.
///
/// Counted on libyaml's own events, by the parser serde_norway runs: any other
/// reading of YAML's context-dependent quoting and indentation could disagree with
/// it and let a deep body through. Stopping at the first event past the limit bounds
/// the scanner's per-token cost by the limit, so this pass stays linear where the
/// full parse of a deep body is quadratic. Every collection starts at one of
/// `[ { - ? :`, so a body with few of those cannot be too deep and is not parsed twice.
#[cfg(feature = "yaml")]
pub(crate) fn yaml(bytes: &[u8]) -> Result<(), TooDeep> {
    let starts = bytes
        .iter()
        .filter(|b| matches!(b, b'[' | b'{' | b'-' | b'?' | b':'))
        .count();
    if starts <= MAX_DEPTH + 1 {
        return Ok(());
    }
    if libyaml::deeper_than(bytes, MAX_DEPTH + 1) {
        Err(TooDeep)
    } else {
        Ok(())
    }
}

/// The one place kratos calls libyaml directly (serde_norway offers no event stream).
#[cfg(feature = "yaml")]
#[allow(unsafe_code)]
mod libyaml {
    use std::mem::MaybeUninit;

    use unsafe_libyaml_norway as unsafe_sys;

    /// Whether any collection of the YAML stream in `input` opens inside `limit`
    /// others. Malformed input answers false: the real parse reports it.
    pub(super) fn deeper_than(input: &[u8], limit: usize) -> bool {
        // Boxed: libyaml keeps a pointer to the parser in its own read handler, so
        // the parser must not move between set_input_string and delete.
        let mut parser = Box::new(MaybeUninit::<unsafe_sys::yaml_parser_t>::uninit());
        let parser = parser.as_mut_ptr();
        let mut event = MaybeUninit::<unsafe_sys::yaml_event_t>::uninit();
        let event = event.as_mut_ptr();
        // SAFETY: the calls follow libyaml's protocol as serde_norway does:
        // initialize once, set a string input that outlives the parser (`input` is
        // borrowed for this whole function), delete every event parse filled, and
        // delete the parser last. A failed initialize leaves nothing to delete.
        unsafe {
            if unsafe_sys::yaml_parser_initialize(parser).fail {
                return false;
            }
            unsafe_sys::yaml_parser_set_encoding(parser, unsafe_sys::YAML_UTF8_ENCODING);
            unsafe_sys::yaml_parser_set_input_string(parser, input.as_ptr(), input.len() as u64);
            let mut depth = 0usize;
            let deeper = loop {
                if unsafe_sys::yaml_parser_parse(parser, event).fail {
                    break false;
                }
                let kind = (*event).type_;
                unsafe_sys::yaml_event_delete(event);
                match kind {
                    unsafe_sys::YAML_SEQUENCE_START_EVENT
                    | unsafe_sys::YAML_MAPPING_START_EVENT => {
                        depth += 1;
                        if depth > limit {
                            break true;
                        }
                    }
                    unsafe_sys::YAML_SEQUENCE_END_EVENT | unsafe_sys::YAML_MAPPING_END_EVENT => {
                        depth = depth.saturating_sub(1);
                    }
                    unsafe_sys::YAML_STREAM_END_EVENT => break false,
                    _ => {}
                }
            };
            unsafe_sys::yaml_parser_delete(parser);
            deeper
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The deepest nesting allowed: the top level and `MAX_DEPTH` below it.
    const ALLOWED: usize = MAX_DEPTH + 1;

    fn nested(open: &str, close: &str, depth: usize) -> String {
        format!("{}{}", open.repeat(depth), close.repeat(depth))
    }

    #[test]
    fn json_counts_containers_outside_strings() {
        assert_eq!(json(nested("[", "]", ALLOWED).as_bytes()), Ok(()));
        assert_eq!(json(nested("[", "]", ALLOWED + 1).as_bytes()), Err(TooDeep));
        let objects = nested("{\"a\":", "}", ALLOWED + 1);
        assert_eq!(json(objects.as_bytes()), Err(TooDeep));
        let in_string = format!("{{\"a\": \"{}\\\"{}\"}}", "[".repeat(500), "{".repeat(500));
        assert_eq!(json(in_string.as_bytes()), Ok(()));
    }

    #[test]
    #[cfg(feature = "xml")]
    fn xml_counts_elements_below_the_root() {
        let doc = |depth: usize| format!("<R>{}1{}</R>", "<a>".repeat(depth), "</a>".repeat(depth));
        assert_eq!(xml(&doc(ALLOWED)), Ok(()));
        assert_eq!(xml(&doc(ALLOWED + 1)), Err(TooDeep));
        let siblings = format!("<R>{}</R>", "<a><b/></a>".repeat(1000));
        assert_eq!(xml(&siblings), Ok(()));
    }

    #[test]
    #[cfg(feature = "yaml")]
    fn yaml_counts_flow_and_block_collections() {
        assert_eq!(yaml(nested("[", "]", ALLOWED).as_bytes()), Ok(()));
        assert_eq!(yaml(nested("[", "]", ALLOWED + 1).as_bytes()), Err(TooDeep));
        assert_eq!(
            yaml(nested("{a: ", "}", ALLOWED + 1).as_bytes()),
            Err(TooDeep)
        );
        let compact = format!("{}x", "- ".repeat(ALLOWED + 1));
        assert_eq!(yaml(compact.as_bytes()), Err(TooDeep));
        let quoted = format!("a: '{}'\nb: \"{}\"\n", "[".repeat(500), "{:".repeat(500));
        assert_eq!(yaml(quoted.as_bytes()), Ok(()));
        let wide: String = (0..1000)
            .map(|i| format!("k{i}: [1, {{a: -2}}]\n"))
            .collect();
        assert_eq!(yaml(wide.as_bytes()), Ok(()));
    }
}
