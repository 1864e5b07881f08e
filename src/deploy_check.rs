//! The production self-check, in the spirit of Django's `check --deploy`: with an https base
//! URL, Dateline is a production deployment, and settings that are not safe there are reported
//! with what to fix: as warnings when `dateline serve` starts, and as a failure of
//! `dateline check`, which a deploy pipeline runs before a release.

use crate::config::Config;

/// The shortest accepted `DATELINE_SECRET_KEY`, in characters.
pub const MIN_SECRET_CHARS: usize = 32;

/// One unsafe setting: which, what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub setting: &'static str,
    pub problem: String,
    pub fix: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}\n    fix: {}",
            self.setting, self.problem, self.fix
        )
    }
}

/// Whether the settings describe a production deployment (an https base URL).
pub fn is_production(config: &Config) -> bool {
    config.base_url.starts_with("https://")
}

/// The unsafe settings of a production deployment (none when the base URL is not https).
/// `rust_log` is the `RUST_LOG` filter in effect; `demo` whether demo stories would be loaded.
pub fn check(config: &Config, rust_log: &str, demo: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    if !is_production(config) {
        return findings;
    }
    if demo {
        findings.push(Finding {
            setting: "DATELINE_DEMO",
            problem: "would load the demo stories into the production database".into(),
            fix: "unset DATELINE_DEMO (or drop --demo)".into(),
        });
    }
    match config.secret_key.as_deref() {
        None => findings.push(Finding {
            setting: "DATELINE_SECRET_KEY",
            problem: "is not set".into(),
            fix: format!(
                "set it to at least {MIN_SECRET_CHARS} random characters, e.g. the output of \
                 `openssl rand -hex 32`, and keep it out of the database and the repository"
            ),
        }),
        Some(secret) if secret.chars().count() < MIN_SECRET_CHARS => findings.push(Finding {
            setting: "DATELINE_SECRET_KEY",
            problem: format!(
                "is {} characters long; at least {MIN_SECRET_CHARS} are needed",
                secret.chars().count()
            ),
            fix: "use `openssl rand -hex 32`".into(),
        }),
        Some(secret) => {
            let distinct: std::collections::BTreeSet<char> = secret.chars().collect();
            if distinct.len() < 10 {
                findings.push(Finding {
                    setting: "DATELINE_SECRET_KEY",
                    problem: format!("uses only {} distinct characters", distinct.len()),
                    fix: "use a random value: `openssl rand -hex 32`".into(),
                });
            }
        }
    }
    if config.database_url.is_none() {
        findings.push(Finding {
            setting: "DATABASE_URL",
            problem: "is not set, so Dateline would run the development PostgreSQL in the \
                      project folder"
                .into(),
            fix: "point it at the production database (a managed, replicated PostgreSQL)".into(),
        });
    }
    let noisy = rust_log
        .split(',')
        .filter_map(|directive| directive.rsplit('=').next())
        .any(|level| {
            matches!(
                level.trim().to_ascii_lowercase().as_str(),
                "debug" | "trace"
            )
        });
    if noisy {
        findings.push(Finding {
            setting: "RUST_LOG",
            problem: format!(
                "`{rust_log}` turns on debug logging, which writes request details and SQL to \
                 the logs"
            ),
            fix: "use `info` (the default) or `warn`".into(),
        });
    }
    if !config.webhook_allow_hosts.is_empty() {
        findings.push(Finding {
            setting: "DATELINE_WEBHOOK_ALLOW_HOSTS",
            problem: format!(
                "lets webhooks reach {} over http and at private addresses",
                config.webhook_allow_hosts.join(", ")
            ),
            fix: "unset it: it is for development and tests".into(),
        });
    }
    let (cookie, secure) = crate::web::admin::session_cookie(&config.base_url);
    if !secure || !cookie.starts_with("__Host-") {
        findings.push(Finding {
            setting: "DATELINE_BASE_URL",
            problem: "the admin session cookie would not be Secure with the __Host- prefix".into(),
            fix: "serve the site over https and set the base URL to its https address".into(),
        });
    }
    findings
}

/// The report of [`check`]'s findings: `dateline check` fails with it, `dateline serve` prints
/// it as a warning and starts anyway (the contract's settings, such as an unset `DATABASE_URL`,
/// must keep working; a deploy pipeline runs `dateline check` to stop an unsafe release).
pub fn report(findings: &[Finding]) -> String {
    let mut out = String::from(
        "DATELINE_BASE_URL is https, so this is a production deployment, and these settings are \
         not safe for one:\n",
    );
    for finding in findings {
        out.push_str(&format!("  - {finding}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production() -> Config {
        let mut config = Config::for_tests("https://news.example.org");
        config.database_url = Some("postgres://db.internal/dateline".into());
        config.secret_key = Some("3f9c1e7a5b2d8c4e6f0a1b3c5d7e9f2a4b6c8d0e".into());
        config
    }

    fn settings(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.setting).collect()
    }

    #[test]
    fn a_sound_production_configuration_passes() {
        assert!(check(&production(), "info", false).is_empty());
        assert!(check(&production(), "warn,tower_http=info", false).is_empty());
    }

    #[test]
    fn development_over_http_is_not_checked() {
        let config = Config::for_tests("http://127.0.0.1:3000");
        assert!(check(&config, "debug", true).is_empty());
    }

    #[test]
    fn missing_short_or_repetitive_secrets_are_refused() {
        let mut config = production();
        config.secret_key = None;
        assert_eq!(
            settings(&check(&config, "info", false)),
            ["DATELINE_SECRET_KEY"]
        );
        config.secret_key = Some("short".into());
        assert!(
            check(&config, "info", false)[0]
                .problem
                .contains("5 characters")
        );
        config.secret_key = Some("a".repeat(40));
        assert!(
            check(&config, "info", false)[0]
                .problem
                .contains("distinct")
        );
    }

    #[test]
    fn webhook_hosts_allowed_inside_are_reported() {
        let mut config = production();
        config.webhook_allow_hosts = vec!["127.0.0.1".into()];
        assert_eq!(
            settings(&check(&config, "info", false)),
            ["DATELINE_WEBHOOK_ALLOW_HOSTS"]
        );
    }

    #[test]
    fn debug_logging_and_the_development_database_are_refused() {
        let mut config = production();
        config.database_url = None;
        let findings = check(&config, "info,sqlx=debug", true);
        assert_eq!(
            settings(&findings),
            ["DATELINE_DEMO", "DATABASE_URL", "RUST_LOG"]
        );
        let message = report(&findings);
        assert!(message.contains("production deployment"));
        assert!(message.contains("fix: use `info`"));
    }
}
