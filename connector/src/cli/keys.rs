//! `connector keys`: a party's chain account key (secp256k1, with its bech32 address) and its
//! Noise transport identity (X25519), written as hex files readable only by the owner.

use std::path::{Path, PathBuf};

use clap::Args;
use k256::ecdsa::SigningKey;
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

#[derive(Args, Debug)]
pub struct KeysArgs {
    /// Directory for `<name>.chain.key` and `<name>.noise.key`.
    #[arg(long, default_value = "keys")]
    pub out_dir: PathBuf,
    #[arg(long)]
    pub name: String,
    /// Bech32 prefix of the chain's account addresses.
    #[arg(long, default_value = "wasm")]
    pub prefix: String,
    /// Replace existing files.
    #[arg(long)]
    pub force: bool,
}

/// What `keys` made, for printing (and for tests).
#[derive(Debug)]
pub struct PartyKeys {
    pub chain_key_file: PathBuf,
    pub noise_key_file: PathBuf,
    pub address: String,
    pub noise_public_key: String,
}

pub fn run(args: KeysArgs) -> super::anyhow_free::Result {
    let keys = make(&args.out_dir, &args.name, &args.prefix, args.force)?;
    println!("chain key:        {}", keys.chain_key_file.display());
    println!("account address:  {}", keys.address);
    println!("noise key:        {}", keys.noise_key_file.display());
    println!("noise public key: {}", keys.noise_public_key);
    Ok(())
}

/// Makes both keys and writes them under `out_dir`.
pub fn make(out_dir: &Path, name: &str, prefix: &str, force: bool) -> Result<PartyKeys, String> {
    let hrp = bech32::Hrp::parse(prefix).map_err(|e| format!("--prefix: {e}"))?;
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let chain_key = SigningKey::random(&mut rand::rngs::OsRng);
    let (noise_private, noise_public) = mpc_party::transport::tcp::generate_static_keypair();
    let chain_key_file = out_dir.join(format!("{name}.chain.key"));
    let noise_key_file = out_dir.join(format!("{name}.noise.key"));
    crate::secret_file::write(&chain_key_file, &hex::encode(chain_key.to_bytes()), force)?;
    crate::secret_file::write(&noise_key_file, &hex::encode(noise_private), force)?;
    Ok(PartyKeys {
        chain_key_file,
        noise_key_file,
        address: account_address(&chain_key, hrp)?,
        noise_public_key: hex::encode(noise_public),
    })
}

/// Cosmos SDK account address: bech32(prefix, ripemd160(sha256(compressed public key))).
pub fn account_address(key: &SigningKey, hrp: bech32::Hrp) -> Result<String, String> {
    let public = key.verifying_key().to_encoded_point(true);
    let hash = Ripemd160::digest(Sha256::digest(public.as_bytes()));
    bech32::encode::<bech32::Bech32>(hrp, &hash).map_err(|e| e.to_string())
}

/// Reads a hex key file written by `keys` (32 bytes); one others can read or write is refused
/// ([`crate::secret_file`]).
pub fn read_secret(path: &Path) -> Result<[u8; 32], String> {
    let text = crate::secret_file::read_text(path)?;
    let bytes = zeroize::Zeroizing::new(
        hex::decode(text.trim()).map_err(|e| format!("{}: {e}", path.display()))?,
    );
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("{}: expected 32 bytes of hex", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_written_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let keys = make(dir.path(), "p1", "wasm", false).unwrap();
        assert!(keys.address.starts_with("wasm1"));
        assert_eq!(keys.address.len(), "wasm1".len() + 32 + 6);
        let secret = read_secret(&keys.chain_key_file).unwrap();
        let again = SigningKey::from_bytes(&secret.into()).unwrap();
        let hrp = bech32::Hrp::parse("wasm").unwrap();
        assert_eq!(account_address(&again, hrp).unwrap(), keys.address);
        let noise = read_secret(&keys.noise_key_file).unwrap();
        assert_eq!(
            hex::encode(mpc_party::transport::tcp::static_public_key(&noise)),
            keys.noise_public_key
        );
        // A second run does not overwrite the keys unless forced.
        assert!(make(dir.path(), "p1", "wasm", false)
            .unwrap_err()
            .contains("--force"));
        assert!(make(dir.path(), "p1", "wasm", true).is_ok());
    }

    /// Every key file is 0600: new ones, and old ones of another mode replaced with `--force`.
    #[cfg(unix)]
    #[test]
    fn key_files_are_written_0600_also_over_a_file_of_another_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o7777;
        let keys = make(dir.path(), "p1", "wasm", false).unwrap();
        assert_eq!(mode(&keys.chain_key_file), 0o600);
        assert_eq!(mode(&keys.noise_key_file), 0o600);
        for path in [&keys.chain_key_file, &keys.noise_key_file] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let old = std::fs::read(&keys.chain_key_file).unwrap();
        let again = make(dir.path(), "p1", "wasm", true).unwrap();
        assert_eq!(mode(&again.chain_key_file), 0o600);
        assert_eq!(mode(&again.noise_key_file), 0o600);
        assert_ne!(std::fs::read(&again.chain_key_file).unwrap(), old);
        read_secret(&again.chain_key_file).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused_naming_it_and_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let keys = make(dir.path(), "p1", "wasm", false).unwrap();
        let path = &keys.chain_key_file;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            read_secret(path).unwrap_err(),
            format!(
                "{p} is readable by others (mode 0644): run `chmod 600 {p}`",
                p = path.display()
            )
        );
    }

    #[test]
    fn a_known_key_has_its_known_address() {
        // Secret key 1: its public key is the generator, whose hash160 is the widely published
        // 751e76e8199196d454941c45d1b3a323f1433bd6 (BIP-173's example program).
        let mut one = [0u8; 32];
        one[31] = 1;
        let key = SigningKey::from_bytes(&one.into()).unwrap();
        let hrp = bech32::Hrp::parse("cosmos").unwrap();
        let address = account_address(&key, hrp).unwrap();
        let (prefix, data) = bech32::decode(&address).unwrap();
        assert_eq!(prefix.as_str(), "cosmos");
        assert_eq!(
            hex::encode(data),
            "751e76e8199196d454941c45d1b3a323f1433bd6"
        );
    }

    #[test]
    fn a_bad_prefix_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(make(dir.path(), "p", "Bad Prefix", false)
            .unwrap_err()
            .starts_with("--prefix"));
    }
}
