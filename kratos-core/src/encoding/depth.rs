//! One nesting limit for every decoder, [`MAX_DEPTH`], and the guard that counts it
//! while a message decodes.
//!
//! A request that nests values thousands deep must cost a 400, not the process: each
//! level of a recursive decoder takes stack, and a few thousand levels overflow a
//! worker's stack, which aborts the whole server. So every decoder stops at the same
//! depth, the 100 that prost (and the C++ protobuf runtime) use for nested messages:
//! the text codecs check the body before parsing it (`nesting.rs`), protobuf through
//! prost's own recursion limit, forms and query strings by the length of a dotted key,
//! and every serde codec, a user's own included, through [`enter`], which each
//! message's `Deserialize` calls when it starts.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

/// How many levels a request may nest below its top-level value, as prost counts
/// them: messages inside messages (every codec, protobuf included), objects and
/// lists inside each other (JSON, YAML), elements inside the root element (XML, not
/// counting the innermost one that holds the text), and names after the first in a
/// dotted form or query key. Past it the decode fails with [`TooDeep`], which HTTP
/// answers with 400 `CODEC`.
pub const MAX_DEPTH: usize = 100;

/// A body or key nested deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooDeep;

impl fmt::Display for TooDeep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "nesting is too deep: more than {MAX_DEPTH} levels of objects, lists or messages below the top level"
        )
    }
}

impl std::error::Error for TooDeep {}

thread_local! {
    /// Messages being decoded on this thread, outermost first. A decode runs on one
    /// thread from start to end (serde and prost are synchronous), so a thread-local
    /// counts exactly the nesting of the decode under way.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// One level of nesting held by a decode under way; dropping it gives the level back.
#[must_use = "the level is held only as long as the guard lives"]
pub struct Level {
    /// Not `Send`: the level belongs to this thread's counter.
    _thread: PhantomData<*const ()>,
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// Takes one level of nesting for a message (or other recursive value) that starts
/// decoding; fails once the top level and [`MAX_DEPTH`] levels below it are held on
/// this thread.
pub fn enter() -> Result<Level, TooDeep> {
    DEPTH.with(|depth| {
        let held = depth.get();
        if held > MAX_DEPTH {
            return Err(TooDeep);
        }
        depth.set(held + 1);
        Ok(Level {
            _thread: PhantomData,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_counted_and_given_back() {
        let held: Vec<Level> = (0..=MAX_DEPTH).map(|_| enter().unwrap()).collect();
        assert_eq!(enter().err(), Some(TooDeep));
        drop(held);
        let again: Vec<Level> = (0..=MAX_DEPTH).map(|_| enter().unwrap()).collect();
        assert_eq!(again.len(), MAX_DEPTH + 1);
    }
}
