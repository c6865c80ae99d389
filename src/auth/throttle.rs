//! Rate limits per client address (governor), and where that address comes
//! from: the socket, or `X-Forwarded-For` behind a trusted proxy.

use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Addresses remembered before idle ones are forgotten.
const MAX_TRACKED_ADDRESSES: usize = 50_000;

/// At most `per_minute` events per key (an address, an account) per
/// minute; 0 means no limit.
pub struct Throttle<K: Hash + Eq + Clone = IpAddr> {
    per_minute: u32,
    limiter: Option<DefaultKeyedRateLimiter<K>>,
}

impl<K: Hash + Eq + Clone> Throttle<K> {
    pub fn per_minute(per_minute: u32) -> Throttle<K> {
        let limiter =
            NonZeroU32::new(per_minute).map(|rate| RateLimiter::keyed(Quota::per_minute(rate)));
        Throttle {
            per_minute,
            limiter,
        }
    }

    pub fn rate(&self) -> u32 {
        self.per_minute
    }

    /// Counts one event for `key`; `Err` holds how long until the next is allowed.
    pub fn check(&self, key: K) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if limiter.len() > MAX_TRACKED_ADDRESSES {
            limiter.retain_recent();
        }
        limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Counts failures only (a wrong password, not a login): a key may fail
/// `burst` times at once, then once per `period`. Looking does not count,
/// so a throttled key slows down its own tries and nobody else's.
/// (governor counts every check, so it cannot tell failures from successes.)
pub struct FailureThrottle<K: Hash + Eq> {
    burst: u32,
    period: Duration,
    /// Per key, when its failures will have drained (the GCRA's
    /// theoretical arrival time).
    drained_at: std::sync::Mutex<std::collections::HashMap<K, std::time::Instant>>,
}

impl<K: Hash + Eq> FailureThrottle<K> {
    pub fn new(burst: u32, period: Duration) -> FailureThrottle<K> {
        FailureThrottle {
            burst: burst.max(1),
            period,
            drained_at: std::sync::Mutex::default(),
        }
    }

    fn entries(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<K, std::time::Instant>> {
        self.drained_at
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `Err` holds how long `key` must wait before its next try.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let now = std::time::Instant::now();
        let Some(drained_at) = self.entries().get(key).copied() else {
            return Ok(());
        };
        let allowance = self.period * (self.burst - 1);
        match drained_at.checked_duration_since(now) {
            Some(backlog) if backlog > allowance => Err(backlog - allowance),
            _ => Ok(()),
        }
    }

    /// Counts one failure for `key`.
    pub fn fail(&self, key: K) {
        let now = std::time::Instant::now();
        let mut entries = self.entries();
        if entries.len() > MAX_TRACKED_ADDRESSES {
            entries.retain(|_, drained_at| *drained_at > now);
        }
        let drained_at = entries.entry(key).or_insert(now);
        *drained_at = (*drained_at).max(now) + self.period;
    }
}

/// `Retry-After` on a throttled answer: whole seconds, at least one.
pub fn insert_retry_after(response: &mut actix_web::HttpResponse, wait: Duration) {
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(wait.as_secs().max(1)),
    );
}

/// The client's address. Behind `hops` trusted proxies (each appending the
/// address it was reached from to `X-Forwarded-For`), the client is the
/// `hops`-th entry from the right: everything left of it was written by the
/// client and proves nothing. `Forwarded:` is not read. Without trusted
/// proxies, or when the header is short or garbled, the socket's peer.
pub fn client_address(request: &HttpRequest, trusted_proxy_hops: Option<usize>) -> IpAddr {
    let peer = request
        .peer_addr()
        .map(|peer| peer.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let Some(hops) = trusted_proxy_hops else {
        return peer;
    };
    // Several header lines are one list, in order.
    let hops_listed: Vec<&str> = request
        .headers()
        .get_all(actix_web::http::header::X_FORWARDED_FOR)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    hops_listed
        .len()
        .checked_sub(hops)
        .and_then(|index| parse_address(hops_listed[index]))
        .unwrap_or(peer)
}

/// `203.0.113.9`, `203.0.113.9:4711`, `[2001:db8::1]:80` or `2001:db8::1`.
fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if let Ok(address) = text.parse::<IpAddr>() {
        return Some(address);
    }
    text.parse::<std::net::SocketAddr>()
        .ok()
        .map(|socket| socket.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throttle_allows_its_rate_then_says_how_long_to_wait() {
        let throttle: Throttle = Throttle::per_minute(2);
        let address: IpAddr = "203.0.113.9".parse().unwrap();
        assert!(throttle.check(address).is_ok());
        assert!(throttle.check(address).is_ok());
        let wait = throttle.check(address).unwrap_err();
        assert!(
            wait > Duration::from_secs(1) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(
            throttle.check("203.0.113.10".parse().unwrap()).is_ok(),
            "per address"
        );
    }

    #[test]
    fn zero_means_no_limit() {
        let throttle: Throttle = Throttle::per_minute(0);
        for _ in 0..100 {
            assert!(throttle.check(IpAddr::V4(Ipv4Addr::LOCALHOST)).is_ok());
        }
    }

    #[test]
    fn only_failures_count_and_looking_is_free() {
        let throttle: FailureThrottle<&str> = FailureThrottle::new(3, Duration::from_secs(60));
        for _ in 0..10 {
            assert!(
                throttle.check(&"ann").is_ok(),
                "checks alone never throttle"
            );
        }
        throttle.fail("ann");
        throttle.fail("ann");
        assert!(throttle.check(&"ann").is_ok());
        throttle.fail("ann");
        let wait = throttle.check(&"ann").unwrap_err();
        assert!(
            wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
            "{wait:?}"
        );
        assert!(throttle.check(&"bo").is_ok(), "per key");
    }

    fn request_with(forwarded_for: &[&str]) -> HttpRequest {
        let mut request = actix_web::test::TestRequest::default()
            .peer_addr("192.0.2.1:5000".parse().unwrap())
            .insert_header(("Forwarded", "for=198.51.100.66"));
        for value in forwarded_for {
            request = request.append_header(("X-Forwarded-For", *value));
        }
        request.to_http_request()
    }

    #[test]
    fn the_client_is_the_hop_the_trusted_proxy_added() {
        let spoofed = request_with(&["6.6.6.6, 203.0.113.9"]);
        assert_eq!(
            client_address(&spoofed, Some(1)),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(&spoofed, Some(2)),
            "6.6.6.6".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(&spoofed, None),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        let two_lines = request_with(&["6.6.6.6", "203.0.113.9"]);
        assert_eq!(
            client_address(&two_lines, Some(1)),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        // Fewer hops than proxies, or garbage: the peer, never a guess.
        assert_eq!(
            client_address(&request_with(&["203.0.113.9"]), Some(2)),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(&request_with(&["6.6.6.6, nonsense"]), Some(1)),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address(&request_with(&[]), Some(1)),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn addresses_parse_with_or_without_ports() {
        assert_eq!(
            parse_address("203.0.113.9:4711"),
            "203.0.113.9".parse().ok()
        );
        assert_eq!(
            parse_address("[2001:db8::1]:80"),
            "2001:db8::1".parse().ok()
        );
        assert_eq!(parse_address("2001:db8::1"), "2001:db8::1".parse().ok());
        assert_eq!(parse_address("unknown"), None);
    }
}
