//! Whole numbers as JSON writes them: JSON Schema's `integer` counts `389.0` and `3.89e2` as
//! whole numbers, so the API reads them as such ([`whole_number_option`]).

/// A required whole number, read as [`whole_number_option`] reads one; `null` is refused.
pub fn whole_number<'de, D>(deserializer: D) -> Result<i64, D::Error>
where
    D: serde::Deserializer<'de>,
{
    whole_number_option(deserializer)?.ok_or_else(|| {
        serde::de::Error::invalid_type(serde::de::Unexpected::Unit, &"a whole number")
    })
}

/// An optional whole number that also reads a JSON number with a zero fraction (`389.0`,
/// `3.89e2`), as JSON Schema's `integer` counts it; `null` is none. Anything else (`389.5`, a
/// string, a number past `i64`) is an error naming the field.
pub fn whole_number_option<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct WholeNumber;

    impl serde::de::Visitor<'_> for WholeNumber {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number or null")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
            Ok(Some(n))
        }

        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
            i64::try_from(n)
                .map(Some)
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
        }

        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Self::Value, E> {
            // Past ±2^63 an f64 holds no i64; below, a whole f64 converts exactly.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) {
                #[allow(clippy::cast_possible_truncation)]
                Ok(Some(n as i64))
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(n), &self))
            }
        }
    }

    deserializer.deserialize_any(WholeNumber)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_may_carry_a_zero_fraction() {
        let read = |json: &str| {
            whole_number_option(&mut serde_json::Deserializer::from_str(json)).map_err(|_| ())
        };
        assert_eq!(read("389"), Ok(Some(389)));
        assert_eq!(read("389.0"), Ok(Some(389)));
        assert_eq!(read("3.89e2"), Ok(Some(389)));
        assert_eq!(read("-0.0"), Ok(Some(0)));
        assert_eq!(read("-7"), Ok(Some(-7)));
        assert_eq!(read("null"), Ok(None));
        assert_eq!(read("9223372036854775807"), Ok(Some(i64::MAX)));
        assert_eq!(read("389.5"), Err(()));
        assert_eq!(read("1e300"), Err(()));
        assert_eq!(read("9223372036854775808"), Err(()));
        assert_eq!(read(r#""389""#), Err(()));
        assert_eq!(read("true"), Err(()));
    }
}
