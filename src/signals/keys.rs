//! Keys for feedback: the form-token signing key (one per database, shared by every instance)
//! and the client-hash key of the day (random, rotated daily, deleted after two days).

use std::sync::Mutex;

use rand::RngCore;
use sqlx::PgPool;
use tokio::sync::OnceCell;

fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key
}

/// Loaded lazily from the database and cached in memory. With a secret from the settings, each
/// key in use is an HMAC of the stored key under that secret, so the database alone does not
/// hold what it takes to recompute a client hash (and to test addresses against it).
#[derive(Debug, Default)]
pub struct FeedbackKeys {
    secret: Option<Vec<u8>>,
    form: OnceCell<Vec<u8>>,
    day: Mutex<Option<(time::Date, Vec<u8>)>>,
}

impl FeedbackKeys {
    pub fn with_secret(secret: Option<&str>) -> Self {
        Self {
            secret: secret.map(|s| s.as_bytes().to_vec()),
            ..Self::default()
        }
    }

    fn derive(&self, stored: Vec<u8>) -> Vec<u8> {
        use hmac::{Hmac, Mac};
        match &self.secret {
            None => stored,
            Some(secret) => {
                let mut mac =
                    Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key");
                mac.update(&stored);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    /// The key that signs form tokens.
    pub async fn form_key(&self, pool: &PgPool) -> sqlx::Result<&[u8]> {
        self.form
            .get_or_try_init(|| async {
                let fresh = random_key();
                let stored =
                    crate::db::secrets::get_or_create(pool, "feedback_form", &fresh).await?;
                Ok::<_, sqlx::Error>(self.derive(stored))
            })
            .await
            .map(Vec::as_slice)
    }

    /// Today's (UTC) key for hashing client addresses.
    pub async fn day_key(&self, pool: &PgPool) -> sqlx::Result<Vec<u8>> {
        let today = time::OffsetDateTime::now_utc().date();
        if let Some((day, key)) = self
            .day
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            && *day == today
        {
            return Ok(key.clone());
        }
        let key = self.derive(crate::db::secrets::day_key(pool, today, &random_key()).await?);
        *self
            .day
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((today, key.clone()));
        Ok(key)
    }
}
