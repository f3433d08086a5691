//! Fake servers for tests, one copy for the library's unit tests (`crate::test_support`) and
//! the end-to-end tests (`tests/common` includes this file by path). Only `std` here, since
//! the file is compiled into both crates.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;

/// A server on 127.0.0.1 that accepts one connection, reads the request head (up to its
/// blank line, leaving any body unread), writes `answer` and closes. Join the handle to know
/// the answer was written.
pub fn serve_once(answer: &'static [u8]) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("the bound address");
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("one connection");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match conn.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
        conn.write_all(answer).expect("the answer is written");
    });
    (addr, server)
}

/// A port on 127.0.0.1 that nothing listens on: bound, then released at once (so also a free
/// port for a child server to take).
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a loopback port")
        .port()
}
