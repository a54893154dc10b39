use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

/// Typed values a transport attaches to a request, such as the caller's verified auth claims
/// or the HTTP headers. Handlers read them through [`Context::extensions`](crate::Context::extensions).
///
/// ```
/// use mcp_connector_core::Extensions;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Caller(String);
///
/// let mut ext = Extensions::new();
/// ext.insert(Caller("alice".into()));
/// assert_eq!(ext.get::<Caller>(), Some(&Caller("alice".into())));
/// ```
// A list, not a map: a request carries a handful of values (the HTTP transport attaches two or
// three), so comparing type ids one after the other beats hashing them (a hash map cost its
// table, its hasher's keys and a hash per insert: ~650 instructions of every HTTP `tools/call`
// in the callgrind profile). The first two values live in place, so what the HTTP transport
// attaches to every request (its headers and the request's own extensions) needs no list at
// all: the list was an allocation and a free on every request (see `examples/bench`).
#[derive(Clone, Default)]
pub struct Extensions {
    inline: [Option<Entry>; INLINE],
    /// The values beyond the first [`INLINE`], in the order they came.
    more: Vec<Entry>,
}

type Entry = (TypeId, Arc<dyn Any + Send + Sync>);

/// Values kept in place: what the HTTP transport attaches to every request.
const INLINE: usize = 2;

impl Extensions {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value`, replacing any earlier value of the same type.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        let id = TypeId::of::<T>();
        let value: Arc<dyn Any + Send + Sync> = Arc::new(value);
        if let Some(slot) = self.entries_mut().find(|(stored, _)| *stored == id) {
            slot.1 = value;
            return;
        }
        match self.inline.iter_mut().find(|slot| slot.is_none()) {
            Some(free) => *free = Some((id, value)),
            None => self.more.push((id, value)),
        }
    }

    /// The stored value of type `T`.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.entries().find(|(stored, _)| *stored == id).and_then(|(_, v)| v.downcast_ref::<T>())
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries().next().is_none()
    }

    fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.inline.iter().flatten().chain(&self.more)
    }

    fn entries_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.inline.iter_mut().flatten().chain(&mut self.more)
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions").field("len", &self.entries().count()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_of_a_type_already_stored_replaces_it() {
        let mut ext = Extensions::new();
        assert!(ext.is_empty());
        ext.insert(1u32);
        ext.insert("a");
        ext.insert(2u32);
        assert_eq!(ext.get::<u32>(), Some(&2));
        assert_eq!(ext.get::<&str>(), Some(&"a"));
        assert_eq!(ext.get::<u64>(), None);
        assert_eq!(format!("{ext:?}"), "Extensions { len: 2 }");
        let copy = ext.clone();
        assert_eq!(copy.get::<u32>(), Some(&2));
    }

    /// Past the values kept in place, the rest go to the list: every one is found, and a
    /// later value of a type stored in either place replaces it there.
    #[test]
    fn values_beyond_those_kept_in_place_are_found_and_replaced_alike() {
        let mut ext = Extensions::new();
        ext.insert(1u8);
        ext.insert(2u16);
        ext.insert(3u32);
        ext.insert(4u64);
        assert_eq!(format!("{ext:?}"), "Extensions { len: 4 }");
        ext.insert(5u64);
        ext.insert(6u8);
        assert_eq!(
            (ext.get::<u8>(), ext.get::<u16>(), ext.get::<u32>(), ext.get::<u64>()),
            (Some(&6), Some(&2), Some(&3), Some(&5))
        );
        assert_eq!(format!("{ext:?}"), "Extensions { len: 4 }");
        assert!(!ext.is_empty());
    }
}
