//! The operator's commands as a shell runs them: `keys`, `config validate`, `status`, and `run`
//! refusing to start on a bad setup. Exit codes and messages are what an operator sees; errors
//! name the field or flag at fault.

use std::path::Path;
use std::process::{Command, Output};

fn connector(args: &[&str], dir: &Path) -> Output {
    connector_with_secret(args, dir, None)
}

/// [`connector`] with `$PARTY_SECRET` (the share store's passphrase in [`party_config`]) set.
fn connector_with_secret(args: &[&str], dir: &Path, secret: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_connector"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("PARTY_SECRET");
    if let Some(secret) = secret {
        command.env("PARTY_SECRET", secret);
    }
    command.output().expect("the connector binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `connector keys` for one party: its account address and Noise public key, as printed.
fn make_keys(dir: &Path, name: &str) -> (String, String) {
    let output = connector(&["keys", "--out-dir", "keys", "--name", name], dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let field = |label: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {label:?} in {text}"))
    };
    (field("account address:"), field("noise public key:"))
}

/// A party-0 config of a three-party federation, as README and `config.rs` document it. The
/// contract addresses are the parties' (any valid bech32 address will do offline).
fn party_config(parties: &[(String, String)]) -> String {
    let mut text = format!(
        r#"[party]
name = "party-0"
chain_key_file = "keys/p0.chain.key"
store_path = "data/party-0.redb"
shares_dir = "data/party-0-shares"
shares_secret_env = "PARTY_SECRET"

[keyring]
id = 1

[contracts]
workspace = "{a}"
keyring = "{a}"
signature_requests = "{a}"

[mpc]
index = 0
listen = "127.0.0.1:0"
noise_key_file = "keys/p0.noise.key"
timeout_ms = 30000

[chain.cosmos]
chain_id = "mpc-localnet"
rpc_url = "http://127.0.0.1:1"
grpc_url = "http://127.0.0.1:1"
account_prefix = "wasm"
gas_price = 0.025
fee_denom = "stake"

[telemetry]
enabled = false
"#,
        a = parties[0].0
    );
    for (i, (address, noise)) in parties.iter().enumerate() {
        text.push_str(&format!(
            "\n[[mpc.peers]]\nindex = {i}\naddress = \"127.0.0.1:{}\"\nnoise_public_key = \"{noise}\"\nchain_address = \"{address}\"\n",
            7000 + i
        ));
    }
    text
}

fn federation_dir() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let parties: Vec<(String, String)> = (0..3)
        .map(|i| make_keys(dir.path(), &format!("p{i}")))
        .collect();
    (dir, party_config(&parties))
}

#[test]
fn keys_config_validate_and_status_on_a_fresh_party() {
    let (dir, config) = federation_dir();
    std::fs::write(dir.path().join("party.toml"), &config).unwrap();

    let output = connector(
        &["config", "validate", "--config", "party.toml"],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim(),
        "party.toml: valid (party party-0, index 0, keyring 1, 3 parties)"
    );

    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let output = connector(&["status", "--config", "party.toml"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim(),
        "party party-0 (keyring 1): 0 seen, 0 started, 0 failed (to be retried), 0 submitted, 0 closed"
    );

    // Key files are readable by their owner only, and never silently replaced.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keys/p0.chain.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = std::fs::read(dir.path().join("keys/p0.chain.key")).unwrap();
    let output = connector(&["keys", "--out-dir", "keys", "--name", "p0"], dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--force"), "{}", stderr(&output));
    assert_eq!(
        std::fs::read(dir.path().join("keys/p0.chain.key")).unwrap(),
        before
    );
}

#[test]
fn config_errors_name_the_field_at_fault() {
    let (dir, config) = federation_dir();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "keyring id 0",
            config.replace("[keyring]\nid = 1", "[keyring]\nid = 0"),
            "keyring.id: keyring ids start at 1",
        ),
        (
            "a contract address that is not bech32",
            config.replacen("keyring = \"wasm1", "keyring = \"cosmos1", 1),
            "contracts.keyring: not a bech32 address",
        ),
        (
            "mpc.index of no peer",
            config.replace("index = 0\nlisten", "index = 7\nlisten"),
            "mpc.index: 7 is not the index of any of mpc.peers",
        ),
        (
            "a gas price that is not a number",
            config.replace("gas_price = 0.025", "gas_price = \"cheap\""),
            "gas_price",
        ),
        (
            "a gRPC URL of neither http nor https",
            config.replace("grpc_url = \"http://", "grpc_url = \"grpcs://"),
            "chain.cosmos.grpc_url: \"grpcs://127.0.0.1:1\" must start with http:// (plaintext) \
             or https:// (TLS)",
        ),
        (
            "a CA file for plaintext gRPC",
            config.replace(
                "fee_denom = \"stake\"",
                "fee_denom = \"stake\"\ngrpc_ca_file = \"ca.pem\"",
            ),
            "chain.cosmos.grpc_ca_file: set, but grpc_url \"http://127.0.0.1:1\" is plaintext",
        ),
        (
            "two share secrets",
            config.replace(
                "shares_secret_env = \"PARTY_SECRET\"",
                "shares_secret_env = \"PARTY_SECRET\"\nshares_secret_file = \"keys/p0.secret\"",
            ),
            "party: set exactly one of shares_key_file, shares_secret_file, shares_key_env, \
             shares_secret_env (the share store's secret); shares_secret_file and \
             shares_secret_env are set",
        ),
        (
            "an unknown field",
            config.replace("[keyring]\nid = 1", "[keyring]\nid = 1\nname = \"x\""),
            "unknown field `name`",
        ),
        (
            "a missing section",
            config.replace("[keyring]\nid = 1\n", ""),
            "missing field `keyring`",
        ),
    ];
    for (what, text, expected) in cases {
        std::fs::write(dir.path().join("bad.toml"), &text).unwrap();
        let output = connector(&["config", "validate", "--config", "bad.toml"], dir.path());
        assert!(!output.status.success(), "{what} was accepted");
        assert!(
            stderr(&output).contains(expected),
            "{what}: {:?} does not contain {expected:?}",
            stderr(&output)
        );
    }
    let output = connector(
        &["config", "validate", "--config", "missing.toml"],
        dir.path(),
    );
    assert!(!output.status.success());
    assert!(stderr(&output).contains("cannot read missing.toml"));
}

#[test]
fn run_stops_naming_the_chain_when_the_node_is_unreachable() {
    let (dir, config) = federation_dir();
    std::fs::write(dir.path().join("party.toml"), &config).unwrap();
    // The share store's secret is read first, before the chain.
    let output = connector(&["run", "--config", "party.toml"], dir.path());
    assert!(!output.status.success());
    assert_eq!(
        stderr(&output).trim(),
        "error: party.shares_secret_env: $PARTY_SECRET is not set"
    );
    // The node at 127.0.0.1:1 does not exist: `run` stops with the chain named, before MPC.
    let output = connector_with_secret(
        &["run", "--config", "party.toml"],
        dir.path(),
        Some("a passphrase of 16 bytes or more"),
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("chain: transport"),
        "{}",
        stderr(&output)
    );
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// A key file its group or others can read is refused by `config validate` and by `run`, as
/// ssh refuses such a private key: the error names the field, the file, its mode and the fix.
/// `connector keys --force` writes the files 0600 again.
#[cfg(unix)]
#[test]
fn key_files_others_can_read_are_refused_and_keys_force_makes_them_0600() {
    let (dir, config) = federation_dir();
    std::fs::write(dir.path().join("party.toml"), &config).unwrap();
    let key = dir.path().join("keys/p0.chain.key");
    set_mode(&key, 0o644);
    let expected = "party.chain_key_file: keys/p0.chain.key is readable by others (mode 0644): \
                    run `chmod 600 keys/p0.chain.key`";
    let validate = connector(
        &["config", "validate", "--config", "party.toml"],
        dir.path(),
    );
    assert!(!validate.status.success());
    assert_eq!(stderr(&validate).trim(), format!("error: {expected}"));
    let run = connector(&["run", "--config", "party.toml"], dir.path());
    assert!(!run.status.success());
    assert!(stderr(&run).contains(expected), "{}", stderr(&run));
    assert_eq!(mode_of(&key), 0o644, "nothing was changed");

    let noise = dir.path().join("keys/p0.noise.key");
    set_mode(&noise, 0o640);
    let output = connector(
        &["keys", "--out-dir", "keys", "--name", "p0", "--force"],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(mode_of(&key), 0o600);
    assert_eq!(mode_of(&noise), 0o600);
}

/// The share store's passphrase from a file (as systemd delivers credentials): `config
/// validate` reads it, refuses it while others can read it, and takes it at 0600.
#[cfg(unix)]
#[test]
fn a_share_passphrase_file_is_read_and_must_be_private() {
    let (dir, config) = federation_dir();
    let config = config.replace(
        "shares_secret_env = \"PARTY_SECRET\"",
        "shares_secret_file = \"keys/p0.shares.secret\"",
    );
    std::fs::write(dir.path().join("party.toml"), &config).unwrap();
    let secret = dir.path().join("keys/p0.shares.secret");
    std::fs::write(&secret, "too short\n").unwrap();
    set_mode(&secret, 0o600);
    let validate = || {
        connector(
            &["config", "validate", "--config", "party.toml"],
            dir.path(),
        )
    };
    let output = validate();
    assert!(!output.status.success());
    assert_eq!(
        stderr(&output).trim(),
        "error: party.shares_secret_file: the share-store passphrase must be at least 16 bytes"
    );
    std::fs::write(&secret, "a passphrase of 16 bytes or more\n").unwrap();
    set_mode(&secret, 0o604);
    let output = validate();
    assert!(!output.status.success());
    assert_eq!(
        stderr(&output).trim(),
        "error: party.shares_secret_file: keys/p0.shares.secret is readable by others \
         (mode 0604): run `chmod 600 keys/p0.shares.secret`"
    );
    set_mode(&secret, 0o600);
    let output = validate();
    assert!(output.status.success(), "{}", stderr(&output));
}

/// gRPC over TLS with a private CA: `config validate` reads `grpc_ca_file` and names it when
/// it holds no certificate.
#[test]
fn a_grpc_ca_file_without_a_certificate_is_named() {
    let (dir, config) = federation_dir();
    let config = config
        .replace("grpc_url = \"http://", "grpc_url = \"https://")
        .replace(
            "fee_denom = \"stake\"",
            "fee_denom = \"stake\"\ngrpc_ca_file = \"ca.pem\"",
        );
    std::fs::write(dir.path().join("party.toml"), &config).unwrap();
    std::fs::write(dir.path().join("ca.pem"), "-----BEGIN PRIVATE KEY-----\n").unwrap();
    let output = connector(
        &["config", "validate", "--config", "party.toml"],
        dir.path(),
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).starts_with("error: chain.cosmos.grpc_ca_file: ca.pem: "),
        "{}",
        stderr(&output)
    );
}

/// `connector backup` and `restore` as an operator runs them on a stopped party: refusals exit
/// non-zero naming what is wrong and leave no trace; a backup restored over a lost disk brings
/// the key share back.
#[test]
fn backup_and_restore_of_a_stopped_party() {
    let (dir, config) = federation_dir();
    let dir = dir.path();
    std::fs::write(dir.join("party.toml"), &config).unwrap();
    let secret = "a passphrase of the party-0 share store";
    let with_secret = |args: &[&str]| connector_with_secret(args, dir, Some(secret));

    // A party that never ran has nothing to back up.
    let output = connector(&["backup", "--config", "party.toml", "--out", "b1"], dir);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("nothing to back up"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.join("b1").exists());
    let output = connector(&["restore", "--config", "party.toml", "--from", "b1"], dir);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("not a backup"),
        "{}",
        stderr(&output)
    );

    // The party's data, as a run leaves it: its progress store and a key share.
    let key = "eddsa/key/00aa";
    {
        let store =
            mpc_connector::store::ProgressStore::open(&dir.join("data/party-0.redb")).unwrap();
        store
            .submitted(mpc_connector::request::RequestRef::Key(1), "T", 3, true)
            .unwrap();
        let secret = mpc_party::StoreSecret::passphrase(secret).unwrap();
        let shares = mpc_party::ShareStore::open(dir.join("data/party-0-shares"), &secret).unwrap();
        shares.put(key, &"share").unwrap();
    }
    let output = connector(&["backup", "--config", "party.toml", "--out", "b1"], dir);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    assert!(
        printed.starts_with("backed up party party-0 (keyring 1)")
            && printed.contains("from the stopped party's store: 1 request records")
            && printed.contains(&format!("key share {key}")),
        "{printed}"
    );

    // Over the party's data, only with --force.
    let output = with_secret(&["restore", "--config", "party.toml", "--from", "b1"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--force"), "{}", stderr(&output));

    std::fs::remove_dir_all(dir.join("data")).unwrap();
    let output = with_secret(&["restore", "--config", "party.toml", "--from", "b1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!("key share {key}")),
        "{}",
        stdout(&output)
    );
    assert!(
        !stdout(&output).contains("not checked"),
        "{}",
        stdout(&output)
    );
    let secret = mpc_party::StoreSecret::passphrase(secret).unwrap();
    let shares = mpc_party::ShareStore::open(dir.join("data/party-0-shares"), &secret).unwrap();
    assert_eq!(shares.get::<String>(key).unwrap().unwrap(), "share");
    let output = connector(&["status", "--config", "party.toml"], dir);
    assert!(
        stdout(&output).contains("1 submitted"),
        "{}",
        stdout(&output)
    );
}
