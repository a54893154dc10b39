//! Prompt arguments and URI template variables: text, parsed with `FromStr`.

use std::marker::PhantomData;

use super::TextArgument;

/// Chooses how a text value parses into `T` (see [`OptionalText`] and [`RequiredText`]).
pub struct TextProbe<T>(PhantomData<fn() -> T>);

impl<T> TextProbe<T> {
    /// The probe.
    pub const fn new() -> Self {
        TextProbe(PhantomData)
    }
}

impl<T> Default for TextProbe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// `Option<T>`: may be absent.
pub trait OptionalText {
    /// The parameter's type.
    type Value;
    /// Whether the value must be given.
    fn required(&self) -> bool;
    /// Parses the value from the text, if given.
    fn parser(&self) -> fn(Option<&str>) -> Result<Self::Value, String>;
}

impl<T: TextArgument> OptionalText for TextProbe<Option<T>> {
    type Value = Option<T>;
    fn required(&self) -> bool {
        false
    }
    fn parser(&self) -> fn(Option<&str>) -> Result<Option<T>, String> {
        |text| text.map(T::parse_text).transpose()
    }
}

/// Anything else: must be present.
pub trait RequiredText {
    /// The parameter's type.
    type Value;
    /// Whether the value must be given.
    fn required(&self) -> bool;
    /// Parses the value from the text.
    fn parser(&self) -> fn(Option<&str>) -> Result<Self::Value, String>
    where
        Self::Value: TextArgument;
}

impl<T> RequiredText for &TextProbe<T> {
    type Value = T;
    fn required(&self) -> bool {
        true
    }
    fn parser(&self) -> fn(Option<&str>) -> Result<T, String>
    where
        T: TextArgument,
    {
        |text| match text {
            Some(text) => T::parse_text(text),
            None => Err("it is missing".into()),
        }
    }
}
