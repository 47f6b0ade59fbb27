//! The client's address behind a reverse proxy (`--trusted-proxy CIDR…`). Every per-address limit and wait keys on
//! it; behind a TLS terminator the TCP peer is always the proxy, which would make them global. `X-Forwarded-For` is
//! believed only when the peer is a trusted proxy, and then read from the right: the first address that is not
//! itself a trusted proxy is the client (what a client sends in the header is to the left of what the proxies add).

use std::net::IpAddr;

use ipnet::IpNet;

/// Reads a `--trusted-proxy` value: a network (`10.0.0.0/8`) or one address (`192.0.2.1`).
///
/// # Errors
/// A message saying what was expected.
pub fn parse_trusted(text: &str) -> Result<IpNet, String> {
    let t = text.trim();
    t.parse::<IpNet>()
        .or_else(|_| t.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("'{t}' is not an address or a network (e.g. 10.0.0.0/8 or 192.0.2.1)"))
}

/// The client's address: `peer` itself unless it is a trusted proxy; then the right-most address of the
/// `X-Forwarded-For` values (`forwarded`, in header order) that is not a trusted proxy. A malformed entry stops the
/// walk at the last trusted hop (whatever a client wrote there cannot be believed).
#[must_use]
pub fn client_ip(peer: IpAddr, forwarded: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(&normal(*ip)));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded.iter().flat_map(|v| v.split(',')).rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// An IPv4-mapped IPv6 address as IPv4, so that `10.0.0.0/8` matches `::ffff:10.0.0.1`.
fn normal(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_peer_is_believed() {
        let trusted = [
            parse_trusted("10.0.0.0/8").unwrap(),
            parse_trusted("192.0.2.1").unwrap(),
        ];
        // Not a proxy: its header is whatever it wants to be, and ignored.
        assert_eq!(
            client_ip(ip("203.0.113.7"), &["198.51.100.1"], &trusted),
            ip("203.0.113.7")
        );
        // The proxy: the client it saw.
        assert_eq!(
            client_ip(ip("10.1.2.3"), &["203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
        // Two proxies; what the client wrote itself (left) is not believed.
        assert_eq!(
            client_ip(ip("10.1.2.3"), &["6.6.6.6, 203.0.113.7, 192.0.2.1"], &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), &["6.6.6.6", "203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
        // No header, or junk: the proxy's own address (all its clients share it, as without the option).
        assert_eq!(client_ip(ip("10.1.2.3"), &[], &trusted), ip("10.1.2.3"));
        assert_eq!(client_ip(ip("10.1.2.3"), &["unknown"], &trusted), ip("10.1.2.3"));
        assert_eq!(
            client_ip(ip("10.1.2.3"), &["203.0.113.7, junk"], &trusted),
            ip("10.1.2.3")
        );
        // IPv4-mapped peers match IPv4 networks.
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.9"), &["2001:db8::1"], &trusted),
            ip("2001:db8::1")
        );
        // Without the option nothing is believed.
        assert_eq!(client_ip(ip("10.1.2.3"), &["203.0.113.7"], &[]), ip("10.1.2.3"));
    }

    #[test]
    fn values_are_networks_or_addresses() {
        assert_eq!(parse_trusted(" 10.0.0.0/8 ").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_trusted("192.0.2.1").unwrap().to_string(), "192.0.2.1/32");
        assert_eq!(parse_trusted("::1").unwrap().to_string(), "::1/128");
        assert!(parse_trusted("10.0.0.0/33").is_err());
        assert!(parse_trusted("proxy.local").is_err());
    }
}
