//! IP addresses and CIDR ranges as numbers: an IPv4 address is its IPv6-mapped form, so one sorted
//! list holds both families and a range lookup is a binary search. The configuration checks its
//! CIDR keys with `parse_cidr`; the audit's range lists are built from it.

use std::net::IpAddr;

/// An address as a number (IPv4 as its IPv6-mapped form).
pub fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// `a.b.c.d/n` or an IPv6 CIDR (a bare address is a /32 or /128) → the first and last address.
pub fn parse_cidr(text: &str) -> Result<(u128, u128), String> {
    let (address, bits) = match text.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let ip: IpAddr =
        address.trim().parse().map_err(|_| format!("`{text}` is not an IP range; write e.g. 203.0.113.0/24"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits: u32 = match bits {
        None => max,
        Some(b) => b
            .trim()
            .parse()
            .ok()
            .filter(|b| *b <= max)
            .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {max}"))?,
    };
    let host_bits = max - bits;
    let start = to_u128(ip);
    let mask = if host_bits == 0 { 0 } else { (1u128 << host_bits) - 1 };
    Ok((start & !mask, start | mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cidr_is_its_first_and_last_address() {
        let v4 = |a: &str| to_u128(a.parse().unwrap());
        assert_eq!(parse_cidr("203.0.113.0/24").unwrap(), (v4("203.0.113.0"), v4("203.0.113.255")));
        assert_eq!(parse_cidr("198.51.100.7").unwrap(), (v4("198.51.100.7"), v4("198.51.100.7")));
        let (start, end) = parse_cidr("2001:db8::/32").unwrap();
        assert_eq!((start, end - start), (v4("2001:db8::"), (1u128 << 96) - 1));
        assert!(parse_cidr("10.0.0.0/33").unwrap_err().contains("0 to 32"));
        assert!(parse_cidr("office").unwrap_err().contains("not an IP range"));
    }
}
