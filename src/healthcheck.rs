//! `dateline healthcheck`: the container's `HEALTHCHECK`. It asks this machine's server for
//! `/readyz` on the port of `DATELINE_BIND`, so the runtime image needs no curl or wget.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};
use axum::body::Body;
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Longest wait for the answer; Docker's own `--timeout` should be longer.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Where the server listening on `bind` answers on this machine: a wildcard address is reached
/// through the loopback of its family.
pub fn local_address(bind: SocketAddr) -> SocketAddr {
    let ip = match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bind.port())
}

/// `Ok` when `/readyz` answers `200` within a few seconds.
pub async fn check(bind: SocketAddr) -> anyhow::Result<()> {
    let url = format!("http://{}/readyz", local_address(bind));
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let request = Request::get(&url).body(Body::empty())?;
    let response = tokio::time::timeout(TIMEOUT, client.request(request))
        .await
        .with_context(|| format!("{url} did not answer within {} s", TIMEOUT.as_secs()))?
        .with_context(|| format!("could not reach {url}"))?;
    if !response.status().is_success() {
        bail!("{url} answered {}", response.status());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_checked_through_the_loopback() {
        assert_eq!(
            local_address("0.0.0.0:3000".parse().unwrap()),
            "127.0.0.1:3000".parse().unwrap()
        );
        assert_eq!(
            local_address("[::]:8080".parse().unwrap()),
            "[::1]:8080".parse().unwrap()
        );
        assert_eq!(
            local_address("10.0.0.5:3000".parse().unwrap()),
            "10.0.0.5:3000".parse().unwrap()
        );
    }
}
