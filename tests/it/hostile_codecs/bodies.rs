//! Bodies a hostile client sends: the same recursive `Node` (or an unknown key full
//! of nested lists and maps) nested `depth` levels below the top, in each codec.

/// `Node` nested `depth` levels below the top, innermost named `leaf`, as JSON.
pub fn json_nodes(depth: usize) -> Vec<u8> {
    let mut out = "{\"child\":".repeat(depth);
    out.push_str("{\"name\":\"leaf\"}");
    out.push_str(&"}".repeat(depth));
    out.into_bytes()
}

/// The same as YAML, in flow style (block style needs an indent per level).
pub fn yaml_nodes(depth: usize) -> Vec<u8> {
    let mut out = "{child: ".repeat(depth);
    out.push_str("{name: leaf}");
    out.push_str(&"}".repeat(depth));
    out.into_bytes()
}

/// The same as XML: one `<child>` element per level.
pub fn xml_nodes(depth: usize) -> Vec<u8> {
    let mut out = String::from("<Node>");
    out.push_str(&"<child>".repeat(depth));
    out.push_str("<name>leaf</name>");
    out.push_str(&"</child>".repeat(depth));
    out.push_str("</Node>");
    out.into_bytes()
}

/// The same as a form body (and query string): one dotted name per level.
pub fn form_nodes(depth: usize) -> Vec<u8> {
    let mut out = "child.".repeat(depth);
    out.push_str("name=leaf");
    out.into_bytes()
}

/// The same in protobuf: field 2 (`child`) inside field 2, `depth` times, and the
/// innermost `name` (field 1).
pub fn proto_nodes(depth: usize) -> Vec<u8> {
    let leaf: &[u8] = &[0x0a, 4, b'l', b'e', b'a', b'f'];
    // The length of each level's content, innermost first, so the body is written
    // front to back in one pass.
    let mut lengths = Vec::with_capacity(depth + 1);
    lengths.push(leaf.len());
    for level in 0..depth {
        let inner = lengths[level];
        lengths.push(1 + varint_len(inner) + inner);
    }
    let mut out = Vec::with_capacity(lengths[depth]);
    for level in (0..depth).rev() {
        out.push(0x12);
        put_varint(&mut out, lengths[level] as u64);
    }
    out.extend_from_slice(leaf);
    out
}

fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// An unknown key holding `depth` nested JSON lists.
pub fn json_unknown_lists(depth: usize) -> Vec<u8> {
    format!(
        "{{\"name\":\"a\",\"extra\":{}1{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
    .into_bytes()
}

/// An unknown key holding `depth` nested JSON objects.
pub fn json_unknown_maps(depth: usize) -> Vec<u8> {
    format!(
        "{{\"extra\":{}1{}}}",
        "{\"a\":".repeat(depth),
        "}".repeat(depth)
    )
    .into_bytes()
}

/// An unknown key holding `depth` nested YAML flow lists.
pub fn yaml_unknown_flow_lists(depth: usize) -> Vec<u8> {
    format!("extra: {}{}\n", "[".repeat(depth), "]".repeat(depth)).into_bytes()
}

/// An unknown key holding `depth` nested YAML flow maps: the shape whose parse time
/// grew with the square of the depth.
pub fn yaml_unknown_flow_maps(depth: usize) -> Vec<u8> {
    format!("extra: {}1{}\n", "{a: ".repeat(depth), "}".repeat(depth)).into_bytes()
}

/// An unknown key holding `depth` nested YAML block lists, written compactly (`- - x`).
pub fn yaml_unknown_block_lists(depth: usize) -> Vec<u8> {
    match depth {
        // No list at all: the value stands beside its key.
        0 => b"extra: x\n".to_vec(),
        _ => format!("extra:\n{}x\n", "- ".repeat(depth)).into_bytes(),
    }
}

/// An unknown element holding `depth` nested XML elements.
pub fn xml_unknown_elements(depth: usize) -> Vec<u8> {
    format!(
        "<Node><extra>{}{}</extra></Node>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    )
    .into_bytes()
}
