//! Serde helpers for request fields whose shape JSON alone does not pin down: a nested object
//! or `null`, and PATCH's three states (absent, `null` to clear, a value).

use serde::de::DeserializeOwned;

/// A nested object field (`study`, `review`): only an object or `null`. (Serde alone would also
/// read a struct from an array of its fields in order.) Absent → `None`.
pub fn object_or_null<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: DeserializeOwned,
    D: serde::Deserializer<'de>,
{
    struct ObjectOrNull<T>(std::marker::PhantomData<T>);

    impl<'de, T: DeserializeOwned> serde::de::Visitor<'de> for ObjectOrNull<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object or null")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        // The same map access goes on, so errors keep their path (`study.sample_size`).
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    deserializer.deserialize_any(ObjectOrNull(std::marker::PhantomData))
}

/// [`object_or_null`] for PATCH: absent → `None`, `null` → `Some(None)`, an object →
/// `Some(Some(value))`.
pub fn double_object_or_null<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: DeserializeOwned,
    D: serde::Deserializer<'de>,
{
    object_or_null(deserializer).map(Some)
}

/// For PATCH fields where `null` means "clear": absent → `None`, `null` → `Some(None)`,
/// a value → `Some(Some(value))`. Use with `#[serde(default, deserialize_with = …)]`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
