//! Passwords (Argon2id, with NIST SP 800-63B's checks) and API tokens / preview tokens (random,
//! stored as SHA-256). Pure computation: callers run the slow hashing on a blocking thread.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, Params};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Shortest password accepted (NIST SP 800-63B's minimum for a chosen password).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (hashing cost is bounded).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("must be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("is too common or too easy to guess{0}")]
    TooWeak(String),
}

/// Checks a new password as NIST SP 800-63B asks: a minimum length, and not one of the
/// passwords every attacker tries first (zxcvbn's score 0: the top of the leaked-password
/// lists, keyboard walks, repeats) nor the user's own name or email. No composition rules.
pub fn check_password(password: &str, user_inputs: &[&str]) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    let squash = |text: &str| -> String {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let squashed = squash(password);
    for input in user_inputs {
        let whole = squash(input);
        let local = squash(input.split('@').next().unwrap_or(input));
        if squashed == whole || squashed == local {
            return Err(PasswordError::TooWeak(
                " (it is your name or email)".to_owned(),
            ));
        }
    }
    let estimate = zxcvbn::zxcvbn(password, &[]);
    if (estimate.score() as u8) < 1 {
        let hint = estimate
            .feedback()
            .and_then(|f| f.warning())
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        return Err(PasswordError::TooWeak(hint));
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    // OWASP's Argon2id baseline: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).expect("static Argon2 parameters");
    Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// An Argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 hashing with valid parameters")
        .to_string()
}

/// Whether `password` matches `phc`. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to verify against when the user is unknown, so that the answer takes as long.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("not a real password at all"));
    &DUMMY
}

/// A new random secret with `prefix`: 256 bits, base64url. Returns the secret (shown once) and
/// the SHA-256 digest that is stored.
pub fn new_token(prefix: &str) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let digest = token_digest(&secret);
    (secret, digest)
}

/// The stored form of a token.
pub fn token_digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_common_passwords_are_refused() {
        assert_eq!(check_password("short", &[]), Err(PasswordError::TooShort));
        for common in ["password", "12345678", "qwertyuiop", "aaaaaaaaaa"] {
            assert!(
                matches!(check_password(common, &[]), Err(PasswordError::TooWeak(_))),
                "{common}"
            );
        }
        assert!(matches!(
            check_password("ana.ribeiro@example.org", &["ana.ribeiro@example.org"]),
            Err(PasswordError::TooWeak(_))
        ));
        assert!(matches!(
            check_password("Ana Ribeiro", &["ana@example.org", "Ana Ribeiro"]),
            Err(PasswordError::TooWeak(_))
        ));
        // No composition rules, and ordinary passphrases pass.
        assert!(check_password("editor-password-2026", &["editor@example.org"]).is_ok());
        assert!(check_password("s3cret-pass", &[]).is_ok());
        assert!(check_password("plover-quartz-lantern-47", &[]).is_ok());
    }

    #[test]
    fn password_hashes_are_argon2id_and_verify() {
        let hash = hash_password("plover-quartz-lantern-47");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("plover-quartz-lantern-47", &hash));
        assert!(!verify_password("plover-quartz-lantern-48", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", dummy_hash()));
    }

    #[test]
    fn tokens_are_long_random_and_stored_as_digests() {
        let (a, digest) = new_token("dl_");
        let (b, _) = new_token("dl_");
        assert_ne!(a, b);
        assert!(a.starts_with("dl_"));
        assert_eq!(a.len(), 3 + 43, "256 bits in base64url");
        assert_eq!(digest, token_digest(&a));
        assert_eq!(digest.len(), 32);
    }
}
