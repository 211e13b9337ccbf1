//! A TLS-terminating proxy in front of one of the node's ports, as an operator puts a node's
//! gRPC behind a load balancer or a reverse proxy with its certificate: clients speak TLS to the
//! proxy (HTTP/2 negotiated with ALPN, as gRPC clients require), the proxy speaks plain TCP to
//! the node. Its certificate is signed by a CA made for it (rcgen), whose PEM a client is given
//! as its private CA.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::{io_error, LocalnetError, Result};

/// Accepts TLS on a free port of 127.0.0.1 and relays what it decrypts to `target`. Stops when
/// dropped.
pub struct TlsProxy {
    listen: SocketAddr,
    ca_pem: String,
    handshakes: Arc<AtomicU64>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TlsProxy {
    /// A new CA and a certificate for `127.0.0.1` and `localhost` signed by it; relays to
    /// `target` from a free port on 127.0.0.1.
    pub fn start(target: SocketAddr) -> Result<Self> {
        let (ca_pem, config) = certificates()
            .map_err(|e| LocalnetError::Unexpected(format!("the TLS proxy's certificate: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tls-proxy")
            .enable_io()
            .build()
            .map_err(io_error("the TLS proxy's runtime"))?;
        // Bound here, handed to the runtime by its task: `start` may be called from inside
        // another runtime (an async test), where this one cannot be blocked on.
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .map_err(io_error("binding the TLS proxy"))?;
        listener
            .set_nonblocking(true)
            .map_err(io_error("binding the TLS proxy"))?;
        let listen = listener
            .local_addr()
            .map_err(io_error("reading the TLS proxy's port"))?;
        let handshakes = Arc::new(AtomicU64::new(0));
        runtime.spawn(accept_loop(
            listener,
            TlsAcceptor::from(Arc::new(config)),
            target,
            handshakes.clone(),
        ));
        Ok(Self {
            listen,
            ca_pem,
            handshakes,
            runtime: Some(runtime),
        })
    }

    /// The proxy's address; a client's URL is `https://<address>`.
    pub fn address(&self) -> SocketAddr {
        self.listen
    }

    /// The PEM of the CA that signed the proxy's certificate (what a client trusts).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// TLS handshakes completed so far: a client that reached the target through the proxy
    /// shows up here.
    pub fn handshakes(&self) -> u64 {
        self.handshakes.load(Ordering::SeqCst)
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The CA's PEM, and the server configuration with a certificate it signed.
fn certificates() -> std::result::Result<(String, rustls::ServerConfig), String> {
    let text = |e: rcgen::Error| e.to_string();
    let ca_key = rcgen::KeyPair::generate().map_err(text)?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(text)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mpc-localnet test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).map_err(text)?;
    let key = rcgen::KeyPair::generate().map_err(text)?;
    let mut params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .map_err(text)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mpc-localnet node");
    let certificate = params.signed_by(&key, &ca).map_err(text)?;
    // The crypto provider rustls is built with (ring, as tonic asks for it).
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![certificate.der().clone(), ca.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(|e| e.to_string())?;
    // gRPC clients require HTTP/2 to be negotiated.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok((ca.pem(), config))
}

async fn accept_loop(
    listener: std::net::TcpListener,
    acceptor: TlsAcceptor,
    target: SocketAddr,
    handshakes: Arc<AtomicU64>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let (acceptor, handshakes) = (acceptor.clone(), handshakes.clone());
        tokio::spawn(async move {
            // A failed handshake (a client that does not trust the CA) just closes the
            // connection, as a real proxy would.
            let Ok(mut client) = acceptor.accept(client).await else {
                return;
            };
            handshakes.fetch_add(1, Ordering::SeqCst);
            let Ok(mut upstream) = TcpStream::connect(target).await else {
                return;
            };
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        });
    }
}
