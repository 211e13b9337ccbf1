//! The few CometBFT JSON-RPC calls the harness needs (node status, a transaction by hash), over a
//! plain HTTP/1.0 GET on 127.0.0.1, so the harness needs no HTTP client crate; the same GET
//! serves tests reading a connector's `/metrics`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

use crate::error::{io_error, parse_json, LocalnetError, Result};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// `GET path` on a loopback HTTP server (the node's RPC, a connector's `/metrics`); returns the
/// body of a 2xx answer.
pub fn http_get(addr: SocketAddr, path: &str) -> Result<String> {
    let (status, body) = request(addr, path)?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(LocalnetError::Unexpected(format!(
            "GET http://{addr}{path}: HTTP {status}: {body}"
        )))
    }
}

/// `GET path` on the node's RPC port; returns the JSON-RPC `result`, or `None` when the node
/// answered with a JSON-RPC error (for `/tx`: not in a block yet; CometBFT sends those with
/// HTTP 500, so the status is not looked at).
pub(crate) fn get(rpc: SocketAddr, path: &str) -> Result<Option<Value>> {
    let (_, body) = request(rpc, path)?;
    let reply: Value = parse_json(&format!("GET http://{rpc}{path}"), &body)?;
    Ok(reply.get("result").cloned())
}

/// An HTTP/1.0 GET: the status code and the body.
fn request(addr: SocketAddr, path: &str) -> Result<(u16, String)> {
    let context = format!("GET http://{addr}{path}");
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(io_error(&context))?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .map_err(io_error(&context))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(io_error(&context))?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(io_error(&context))?;
    let (head, body) = response.split_once("\r\n\r\n").ok_or_else(|| {
        LocalnetError::Unexpected(format!("{context}: no HTTP body in {response:?}"))
    })?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| LocalnetError::Unexpected(format!("{context}: no status in {head:?}")))?;
    Ok((status, body.to_string()))
}

/// Height of the latest block, `None` while the node is not answering yet.
pub(crate) fn latest_height(rpc: SocketAddr) -> Option<u64> {
    let status = get(rpc, "/status").ok()??;
    status["sync_info"]["latest_block_height"]
        .as_str()?
        .parse()
        .ok()
}
