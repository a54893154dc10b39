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
// three), so comparing type ids one after the other beats hashing them, and the list costs
// one allocation where a hash map cost its table, its hasher's keys and a hash per insert
// (~650 instructions of every HTTP `tools/call` in the callgrind profile).
#[derive(Clone, Default)]
pub struct Extensions {
    values: Vec<(TypeId, Arc<dyn Any + Send + Sync>)>,
}

/// Room for what the HTTP transport attaches (headers, HTTP extensions, a session id, auth
/// claims) without growing the list.
const TYPICAL: usize = 4;

impl Extensions {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `value`, replacing any earlier value of the same type.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        let id = TypeId::of::<T>();
        let value: Arc<dyn Any + Send + Sync> = Arc::new(value);
        match self.values.iter_mut().find(|(stored, _)| *stored == id) {
            Some(slot) => slot.1 = value,
            None => {
                if self.values.capacity() == 0 {
                    self.values.reserve_exact(TYPICAL);
                }
                self.values.push((id, value));
            }
        }
    }

    /// The stored value of type `T`.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.values.iter().find(|(stored, _)| *stored == id).and_then(|(_, v)| v.downcast_ref::<T>())
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions").field("len", &self.values.len()).finish()
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
}
