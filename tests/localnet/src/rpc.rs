//! The few CometBFT JSON-RPC calls the harness needs (node status, a transaction by hash), over a
//! plain HTTP/1.0 GET on 127.0.0.1, so the harness needs no HTTP client crate.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

use crate::error::{io_error, parse_json, LocalnetError, Result};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// `GET path` on the node's RPC port; returns the JSON-RPC `result`, or `None` when the node
/// answered with a JSON-RPC error (for `/tx`: not in a block yet).
pub(crate) fn get(rpc: SocketAddr, path: &str) -> Result<Option<Value>> {
    let context = format!("GET http://{rpc}{path}");
    let mut stream = TcpStream::connect_timeout(&rpc, IO_TIMEOUT).map_err(io_error(&context))?;
    stream
        .set_read_timeout(Some(IO_TIMEOUT))
        .map_err(io_error(&context))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {rpc}\r\n\r\n").map_err(io_error(&context))?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(io_error(&context))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .ok_or_else(|| {
            LocalnetError::Unexpected(format!("{context}: no HTTP body in {response:?}"))
        })?;
    let reply: Value = parse_json(&context, body)?;
    Ok(reply.get("result").cloned())
}

/// Height of the latest block, `None` while the node is not answering yet.
pub(crate) fn latest_height(rpc: SocketAddr) -> Option<u64> {
    let status = get(rpc, "/status").ok()??;
    status["sync_info"]["latest_block_height"]
        .as_str()?
        .parse()
        .ok()
}
