//! [`Atomic<T>`]: a value bound to a config key that follows reloads, for cheap
//! reads on the hot path (one atomic load, no lock, no parsing per read).

use std::ops::Deref;
use std::sync::Arc;

use arc_swap::ArcSwap;

/// The current value of a config key, replaced as a whole when a reload changes it.
///
/// Readers see the old value or the new one, never a mix. A reload whose value
/// does not scan into `T` is logged and the old value kept.
pub struct Atomic<T> {
    value: Arc<ArcSwap<T>>,
}

impl<T> Clone for Atomic<T> {
    fn clone(&self) -> Self {
        Self {
            value: self.value.clone(),
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Atomic<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Atomic").field(&**self.load()).finish()
    }
}

impl<T> Atomic<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            value: Arc::new(ArcSwap::from_pointee(value)),
        }
    }

    pub(crate) fn store(&self, value: T) {
        self.value.store(Arc::new(value));
    }

    /// The current value, borrowed for a short read (the cheapest access).
    pub fn load(&self) -> impl Deref<Target = Arc<T>> + '_ {
        self.value.load()
    }

    /// The current value, to keep.
    pub fn get(&self) -> Arc<T> {
        self.value.load_full()
    }
}
