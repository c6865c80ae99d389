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

    /// A burst of `burst`, then one more every `period`.
    pub fn with_burst(burst: u32, period: Duration) -> Throttle<K> {
        let limiter = NonZeroU32::new(burst)
            .and_then(|burst| Quota::with_period(period).map(|quota| quota.allow_burst(burst)))
            .map(RateLimiter::keyed);
        Throttle {
            per_minute: burst,
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

/// The client's address: the first `X-Forwarded-For` hop when the proxy is
/// trusted, the socket's peer otherwise.
pub fn client_address(request: &HttpRequest, trust_proxy: bool) -> IpAddr {
    let unknown = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    if trust_proxy {
        let forwarded = request
            .connection_info()
            .realip_remote_addr()
            .map(str::to_owned);
        if let Some(address) = forwarded.as_deref().and_then(parse_address) {
            return address;
        }
    }
    request.peer_addr().map(|peer| peer.ip()).unwrap_or(unknown)
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
