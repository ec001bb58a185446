//! `tim-emulator healthcheck`: asks a running emulator's `GET /_emulator/health` and exits 0
//! when it answers 200, for container `HEALTHCHECK`s that have no curl.
//!
//! A plain HTTP/1.0 request over `std::net::TcpStream`: no runtime, no client library.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// How long the probe waits to connect, and then for the answer.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// The address to probe for a `--listen` address: an unspecified IP (`0.0.0.0`, `::`) is
/// reached through loopback.
pub fn probe_addr(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// Probes the emulator listening on `listen`; `Err` says why it is not healthy.
pub fn check(listen: SocketAddr) -> Result<(), String> {
    let addr = probe_addr(listen);
    let mut s =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    let req = format!("GET /_emulator/health HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    s.write_all(req.as_bytes())
        .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut head = [0u8; 64];
    let n = s
        .read(&mut head)
        .map_err(|e| format!("read from {addr}: {e}"))?;
    let line = String::from_utf8_lossy(&head[..n]);
    let status = line.split_whitespace().nth(1).unwrap_or("");
    if status == "200" {
        Ok(())
    } else {
        Err(format!(
            "{addr} answered {:?}",
            line.lines().next().unwrap_or("")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_addresses_are_probed_on_loopback() {
        let table = [
            ("0.0.0.0:8269", "127.0.0.1:8269"),
            ("[::]:9", "[::1]:9"),
            ("127.0.0.1:1", "127.0.0.1:1"),
            ("10.1.2.3:80", "10.1.2.3:80"),
        ];
        for (listen, want) in table {
            let got = probe_addr(listen.parse().expect("address"));
            assert_eq!(got.to_string(), want);
        }
    }

    #[test]
    fn nothing_listening_is_unhealthy() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("addr");
        drop(l);
        assert!(check(addr).is_err());
    }
}
