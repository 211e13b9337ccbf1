use thiserror::Error;

/// Why a payload cannot be hashed or an address cannot be made.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// EIP-712 typed data is hashed by the MPC parties (the `eip712` feature), not here: the
    /// request carries the digest its requester computed, and every party recomputes it.
    #[error("eip712 typed data is hashed by the signers: give the digest with the payload")]
    TypedDataNeedsSigner,

    #[error(
        "payload of {len} bytes is over the limit of {max} bytes per payload (MAX_PAYLOAD_LEN)"
    )]
    PayloadTooLong { len: usize, max: usize },

    #[error(
        "payloads of {total} bytes in all are over the limit of {max} bytes per request \
         (MAX_PAYLOADS_LEN)"
    )]
    PayloadsTooLong { total: usize, max: usize },

    #[error("invalid EIP-712 typed data: {reason}")]
    InvalidTypedData { reason: String },

    #[error("invalid bech32 prefix {prefix:?}: {reason}")]
    InvalidBech32Prefix { prefix: String, reason: String },
}
