//! Where outgoing HTTP to a URL a person chose may go — cron's webhooks and Web Push endpoints,
//! the calendar's subscriptions: the public internet, plus the hosts an operator trusts
//! (`CRON_WEBHOOK_ALLOW`, `CRON_PUSH_ALLOW`, `CALENDAR_SUBSCRIPTION_ALLOW`). Anything else —
//! loopback, private, link-local (cloud metadata), CGNAT, multicast, reserved, and their
//! IPv4-in-IPv6 spellings — is refused, so a person's URL cannot reach or map the services
//! inside the network.
//!
//! The check runs on the address a connection is actually made to: IP literals before the
//! request, names inside the HTTP client's resolver ([`GuardedResolver`]) on every lookup, so a
//! name that resolved to a public address when the URL was saved and to 127.0.0.1 when it is
//! called (DNS rebinding) is refused then. [`client_builder`] puts the pieces together.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The destinations a person's URL may reach besides public addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestinationPolicy {
    allow: Vec<Allowed>,
}

/// One entry of the allow-list: a host name (or `*.suffix`), or an address block, optionally
/// on one port only.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    target: Target,
    port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A name as written in URLs, lowercase, without a trailing dot.
    Host(String),
    /// `*.suffix`: any name ending in `.suffix`.
    Subdomains(String),
    /// An address block; a single address is a full-length prefix.
    Net { base: IpAddr, prefix: u8 },
}

/// What is recorded when a destination is not allowed: the same whatever was (or was not)
/// listening there, so run and delivery history cannot map the internal network.
pub const REFUSED: &str = "refused: destination not allowed";

/// Why a destination was refused (the resolver's error, found again in the request's error
/// chain by [`was_refused`] so a generic reason is recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("destination not allowed")
    }
}

impl std::error::Error for Refused {}

impl DestinationPolicy {
    /// Refuses every non-public destination.
    pub fn deny_private() -> Self {
        Self::default()
    }

    /// A comma-separated allow-list: `host`, `*.domain`, `host:port`, an IP (`[v6]:port` with a
    /// port), or a CIDR block (`10.1.0.0/16`, `fd00::/8`, optionally `:port` after the prefix).
    pub fn parse(list: &str) -> Result<Self, String> {
        let allow = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| Allowed::parse(entry).map_err(|e| format!("\"{entry}\": {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Self { allow })
    }

    /// This policy, also permitting loopback addresses (127.0.0.0/8, ::1) on any port.
    pub fn with_loopback(mut self) -> Self {
        for (base, prefix) in
            [(IpAddr::V4(Ipv4Addr::LOCALHOST), 8), (IpAddr::V6(Ipv6Addr::LOCALHOST), 128)]
        {
            self.allow.push(Allowed { target: Target::Net { base, prefix }, port: None });
        }
        self
    }

    /// Whether a connection to `ip` on `port`, reached through the URL host `host`, may be
    /// made: public addresses always, others when an entry allows the host name or the address.
    pub fn permits(&self, host: &str, ip: IpAddr, port: u16) -> bool {
        let ip = ip.to_canonical();
        is_public(ip) || self.allow.iter().any(|a| a.matches(host, ip, port))
    }

    /// Whether a URL host that is not an IP literal may be used at all before it is resolved:
    /// `localhost` and `*.localhost` always mean this machine (RFC 6761), so they are refused
    /// at creation unless an entry names them. Other names are checked when resolved.
    pub fn permits_name(&self, host: &str, port: u16) -> bool {
        let name = normalise(host);
        let local = name == "localhost" || name.ends_with(".localhost");
        !local
            || self.allow.iter().any(|a| {
                a.port.is_none_or(|p| p == port)
                    && matches!(&a.target, Target::Host(_) | Target::Subdomains(_))
                    && a.target.matches_name(&name)
            })
    }

    /// Checks a URL when it is saved (a task's, a subscription's): IP literals against the
    /// policy, names as far as possible without resolving them (they are checked when resolved,
    /// at every call).
    pub fn permits_url(&self, url: &url::Url) -> bool {
        match (self.permits_literal(url), url.host_str(), url.port_or_known_default()) {
            (Some(permitted), _, _) => permitted,
            (None, Some(name), Some(port)) => self.permits_name(name, port),
            (None, _, _) => false,
        }
    }

    /// Checks a URL whose host is an IP address, which the HTTP client connects to without
    /// asking the resolver; `None` when the host is a name (the resolver's to check).
    pub fn permits_literal(&self, url: &url::Url) -> Option<bool> {
        let Some(port) = url.port_or_known_default() else {
            return Some(false);
        };
        let permitted = match url.host() {
            Some(url::Host::Ipv4(ip)) => self.permits(&ip.to_string(), IpAddr::V4(ip), port),
            Some(url::Host::Ipv6(ip)) => self.permits(&ip.to_string(), IpAddr::V6(ip), port),
            // The HTTP client treats a name that parses as an address as that address: check
            // it as one.
            Some(url::Host::Domain(name)) => self.permits(name, name.parse().ok()?, port),
            None => false,
        };
        Some(permitted)
    }
}

impl Allowed {
    fn parse(entry: &str) -> Result<Self, String> {
        let entry = entry.to_ascii_lowercase();
        // A CIDR block: the port, if any, follows the prefix length.
        if let Some((base, rest)) = entry.split_once('/') {
            let (prefix, port) = split_port(rest)?;
            let base: IpAddr = base
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| "the address before / is not an IP address".to_owned())?;
            let prefix: u8 = prefix.parse().map_err(|_| "the prefix length is not a number")?;
            let max = if base.is_ipv4() { 32 } else { 128 };
            if prefix > max {
                return Err(format!("the prefix length must be at most {max}"));
            }
            return Ok(Self { target: Target::Net { base: base.to_canonical(), prefix }, port });
        }
        // `[v6]` or `[v6]:port`.
        if let Some(rest) = entry.strip_prefix('[') {
            let (ip, after) = rest.split_once(']').ok_or("an IPv6 address needs its ]")?;
            let ip: Ipv6Addr = ip.parse().map_err(|_| "not an IPv6 address")?;
            let port = match after {
                "" => None,
                after => {
                    Some(parse_port(after.strip_prefix(':').ok_or("expected :port after ]")?)?)
                }
            };
            return Ok(Self::address(IpAddr::V6(ip), port));
        }
        // A bare IPv6 address has colons of its own.
        if let Ok(ip) = entry.parse::<IpAddr>() {
            return Ok(Self::address(ip, None));
        }
        let (host, port) = split_port(&entry)?;
        if let Ok(ip) = host.parse::<Ipv4Addr>() {
            return Ok(Self::address(IpAddr::V4(ip), port));
        }
        let host = normalise(host);
        let (target, name) = match host.strip_prefix("*.") {
            Some(suffix) => (Target::Subdomains(suffix.to_owned()), suffix),
            None => (Target::Host(host.clone()), host.as_str()),
        };
        let valid = !name.is_empty()
            && name.split('.').all(|label| {
                !label.is_empty()
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            });
        if !valid {
            return Err("not a host name, IP address or CIDR block".into());
        }
        Ok(Self { target, port })
    }

    fn address(ip: IpAddr, port: Option<u16>) -> Self {
        let ip = ip.to_canonical();
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        Self { target: Target::Net { base: ip, prefix }, port }
    }

    fn matches(&self, host: &str, ip: IpAddr, port: u16) -> bool {
        if self.port.is_some_and(|p| p != port) {
            return false;
        }
        match &self.target {
            Target::Net { base, prefix } => in_block(ip, *base, *prefix),
            name => name.matches_name(&normalise(host)),
        }
    }
}

impl Target {
    fn matches_name(&self, name: &str) -> bool {
        match self {
            Self::Host(host) => host == name,
            Self::Subdomains(suffix) => {
                name.strip_suffix(suffix.as_str()).is_some_and(|head| head.ends_with('.'))
            }
            Self::Net { .. } => false,
        }
    }
}

/// `value` or `value:port`.
fn split_port(value: &str) -> Result<(&str, Option<u16>), String> {
    match value.rsplit_once(':') {
        Some((value, port)) => Ok((value, Some(parse_port(port)?))),
        None => Ok((value, None)),
    }
}

fn parse_port(port: &str) -> Result<u16, String> {
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("\"{port}\" is not a port")),
    }
}

fn normalise(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn in_block(ip: IpAddr, base: IpAddr, prefix: u8) -> bool {
    match (ip, base) {
        (IpAddr::V4(ip), IpAddr::V4(base)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(base) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(base)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(base) & mask
        }
        _ => false,
    }
}

/// Whether `ip` is an ordinary address on the public internet. Everything special-purpose
/// (IANA's registries) is not; IPv6 forms that carry an IPv4 address are judged by it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

/// IPv4 blocks that are not the public internet.
const NOT_PUBLIC_V4: [(Ipv4Addr, u8); 16] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8), // "this network"; 0.0.0.0 reaches this host
    (Ipv4Addr::new(10, 0, 0, 0), 8), // private
    (Ipv4Addr::new(100, 64, 0, 0), 10), // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8), // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16), // link-local, cloud metadata (169.254.169.254)
    (Ipv4Addr::new(172, 16, 0, 0), 12), // private
    (Ipv4Addr::new(192, 0, 0, 0), 24), // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24), // documentation
    (Ipv4Addr::new(192, 88, 99, 0), 24), // 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16), // private
    (Ipv4Addr::new(198, 18, 0, 0), 15), // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation
    (Ipv4Addr::new(203, 0, 113, 0), 24), // documentation
    (Ipv4Addr::new(224, 0, 0, 0), 4), // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4), // reserved, and 255.255.255.255 broadcast
    (Ipv4Addr::new(255, 255, 255, 255), 32),
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !NOT_PUBLIC_V4.iter().any(|(base, prefix)| in_block(IpAddr::V4(ip), IpAddr::V4(*base), *prefix))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let v6 = |base: &str, prefix| {
        base.parse::<Ipv6Addr>()
            .is_ok_and(|base| in_block(IpAddr::V6(ip), IpAddr::V6(base), prefix))
    };
    let embedded = || {
        let o = ip.octets();
        Ipv4Addr::new(o[12], o[13], o[14], o[15])
    };
    // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 address.
    if v6("::ffff:0:0", 96) || v6("64:ff9b::", 96) {
        return is_public_v4(embedded());
    }
    // 6to4 (2002:AABB:CCDD::) reaches the IPv4 address in bits 16..48.
    if v6("2002::", 16) {
        let o = ip.octets();
        return is_public_v4(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    // Only global unicast (2000::/3) is public; inside it, the special-purpose blocks are
    // not (Teredo and other IETF assignments, documentation). Everything else — ::, ::1, the
    // IPv4-compatible ::a.b.c.d, local-use NAT64 64:ff9b:1::/48, ULA fc00::/7, link-local
    // fe80::/10, multicast ff00::/8 — falls outside 2000::/3.
    v6("2000::", 3) && !v6("2001::", 23) && !v6("2001:db8::", 32) && !v6("3fff::", 20)
}

/// The HTTP client's resolver for calls to one port: resolves with the system's resolver and
/// keeps only the addresses the policy permits for `port`; none left is an error.
pub struct GuardedResolver {
    pub policy: Arc<DestinationPolicy>,
    pub port: u16,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let port = self.port;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), port)).await?;
            let allowed: Vec<SocketAddr> =
                found.filter(|addr| policy.permits(&host, addr.ip(), port)).collect();
            if allowed.is_empty() {
                return Err(Box::new(Refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client builder for calls to `url` that can only reach what `policy` permits: an IP
/// literal is judged here (the client connects to it without asking a resolver), a name by
/// [`GuardedResolver`] on every lookup; no proxy (the resolver must see the real destination),
/// no redirects (a redirect could point inside, and a signed call must reach the URL the person
/// gave). Per URL because the resolver must know the port. `Err`: the URL has no port, or its
/// literal address is not permitted.
pub fn client_builder(
    policy: &Arc<DestinationPolicy>,
    url: &url::Url,
) -> Result<reqwest::ClientBuilder, Refused> {
    let port = url.port_or_known_default().ok_or(Refused)?;
    if !policy.permits_literal(url).unwrap_or(true) {
        return Err(Refused);
    }
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { policy: policy.clone(), port })))
}

/// Whether a request failed because [`GuardedResolver`] refused its destination.
pub fn was_refused(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<Refused>() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn special_purpose_addresses_are_not_public() {
        for addr in [
            "127.0.0.1",
            "127.255.255.254",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.0.170",
            "198.18.0.1",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::8.8.8.8",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1",
            "2002:7f00:1::",
            "2002:a00:1::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001::1",
            "2001:db8::1",
            "fec0::1",
        ] {
            assert!(!is_public(ip(addr)), "{addr} counted as public");
        }
    }

    #[test]
    fn ordinary_addresses_are_public() {
        for addr in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(addr)), "{addr} counted as not public");
        }
    }

    /// The resolver's check, as it sees a rebinding name: the same host is fine while it
    /// resolves to a public address and refused once it resolves to loopback.
    #[test]
    fn a_name_is_judged_by_what_it_resolves_to_now() {
        let policy = DestinationPolicy::deny_private();
        assert!(policy.permits("rebind.example", ip("93.184.216.34"), 443));
        assert!(!policy.permits("rebind.example", ip("127.0.0.1"), 443));
        assert!(!policy.permits("rebind.example", ip("::ffff:127.0.0.1"), 443));
        assert!(!policy.permits("rebind.example", ip("169.254.169.254"), 80));
    }

    #[test]
    fn the_allow_list_opens_hosts_blocks_and_ports() {
        let policy = DestinationPolicy::parse(
            "hooks.internal, *.corp.example:8443, 127.0.0.1:9000, 10.1.0.0/16, fd00::/8:443, \
             [::1]:7000, 192.168.1.5",
        )
        .unwrap();
        assert!(policy.permits("hooks.internal", ip("10.9.9.9"), 80));
        assert!(policy.permits("HOOKS.internal.", ip("10.9.9.9"), 80));
        assert!(!policy.permits("other.internal", ip("10.9.9.9"), 80));
        assert!(policy.permits("a.corp.example", ip("10.9.9.9"), 8443));
        assert!(!policy.permits("a.corp.example", ip("10.9.9.9"), 22));
        assert!(!policy.permits("corp.example", ip("10.9.9.9"), 8443));
        assert!(!policy.permits("evilcorp.example", ip("10.9.9.9"), 8443));
        assert!(policy.permits("x", ip("127.0.0.1"), 9000));
        assert!(policy.permits("x", ip("::ffff:127.0.0.1"), 9000));
        assert!(!policy.permits("x", ip("127.0.0.1"), 22));
        assert!(!policy.permits("x", ip("127.0.0.2"), 9000));
        assert!(policy.permits("x", ip("10.1.200.3"), 5432));
        assert!(!policy.permits("x", ip("10.2.0.1"), 5432));
        assert!(policy.permits("x", ip("fd12::1"), 443));
        assert!(!policy.permits("x", ip("fd12::1"), 80));
        assert!(policy.permits("x", ip("::1"), 7000));
        assert!(!policy.permits("x", ip("::1"), 7001));
        assert!(policy.permits("x", ip("192.168.1.5"), 1));
        // The default denies all of them.
        let deny = DestinationPolicy::deny_private();
        assert!(!deny.permits("hooks.internal", ip("10.9.9.9"), 80));
    }

    #[test]
    fn bad_allow_list_entries_are_named() {
        for bad in ["10.0.0.0/33", "300.1.1.1/8", "host:0", "host:99999", "[::1", "a b", "*."] {
            let err = DestinationPolicy::parse(bad).unwrap_err();
            assert!(err.contains(bad), "{bad}: {err}");
        }
        assert_eq!(DestinationPolicy::parse(" , ").unwrap(), DestinationPolicy::default());
    }

    /// The url crate turns every IPv4 spelling browsers accept into the address, so the
    /// literal check sees through decimal, hex and octal forms.
    #[test]
    fn urls_are_judged_by_their_address_however_spelt() {
        let deny = DestinationPolicy::deny_private();
        for url in [
            "http://127.0.0.1:8080/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://0/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::127.0.0.1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://api.localhost:9000/",
        ] {
            let parsed = url::Url::parse(url).unwrap();
            assert!(!deny.permits_url(&parsed), "{url} ({:?}) permitted", parsed.host());
        }
        for url in ["https://example.com/hook", "http://93.184.216.34/", "http://[2606:4700::1]/"] {
            assert!(deny.permits_url(&url::Url::parse(url).unwrap()), "{url} refused");
        }
        // At run time names are left to the resolver; literals are judged before connecting.
        let literal = |url: &str| deny.permits_literal(&url::Url::parse(url).unwrap());
        assert_eq!(literal("http://localhost/"), None);
        assert_eq!(literal("http://example.com/"), None);
        assert_eq!(literal("http://0x7f000001/"), Some(false));
        assert_eq!(literal("http://[::ffff:10.0.0.1]/"), Some(false));
        assert_eq!(literal("http://8.8.8.8/"), Some(true));
        let allow = DestinationPolicy::parse("localhost:9000,127.0.0.1").unwrap();
        assert!(allow.permits_url(&url::Url::parse("http://localhost:9000/").unwrap()));
        assert!(!allow.permits_url(&url::Url::parse("http://localhost:9001/").unwrap()));
        assert!(allow.permits_url(&url::Url::parse("http://0x7f000001:5/").unwrap()));
    }

    #[test]
    fn with_loopback_opens_loopback_only() {
        let policy = DestinationPolicy::deny_private().with_loopback();
        for addr in ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"] {
            assert!(policy.permits("x", ip(addr), 8443), "{addr}");
        }
        for addr in ["10.0.0.1", "169.254.169.254", "::", "0.0.0.0", "fe80::1"] {
            assert!(!policy.permits("x", ip(addr), 8443), "{addr}");
        }
    }
}
