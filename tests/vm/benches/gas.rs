//! Gas and size of the three contracts in the real CosmWasm VM, against cw-plus
//! cw3-fixed-multisig built the same way. Prints a Markdown report on stdout.
//!
//! Build the artifacts first: `scripts/build-wasm.sh --cw3` (and, for the second recipe,
//! `scripts/build-wasm.sh --variant lowered --cw3`), then
//! `cargo bench -p mpc-vm-tests --bench gas --profile dev`.
//! `MPC_BENCH_LARGE` sets the large state size (default 10000).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use cosmwasm_std::Binary;
use mpc_interfaces::keyring as kr;
use mpc_interfaces::signature_requests::{self as sr, SignRequestStatus};
use mpc_interfaces::workspace as ws;
use mpc_interfaces::Policy;
use mpc_vm_tests::cw3::{self, Multisig};
use mpc_vm_tests::suite::{sign_hash, test_key, Suite};
use mpc_vm_tests::{artifacts_dir, Chain, Executed, Gas, CONTRACTS};
use sha2::{Digest, Sha256};

/// `RequestPayloadSignature` under the default policy (pending at once), one payload per
/// request, for each hash function at 1 KiB and at the per-payload limit (EIP-712: the EIP's
/// example, its digest given), then the largest request the limits allow; and the answer that
/// fulfils a payload request (its payloads are not read by it).
fn payload_rows(table: &mut Table, suite: &Suite) {
    use mpc_interfaces::HashKind;
    let secret = test_key(4);
    let (_, key_id) = suite.key_ready(None, &secret);
    let payload = |hash, data: Vec<u8>| sr::Payload {
        hash,
        data: Binary::from(data),
        digest: None,
    };
    for kind in [
        HashKind::Keccak256,
        HashKind::Sha256,
        HashKind::Sha256d,
        HashKind::Eip191,
        HashKind::CosmosSignDoc,
    ] {
        for len in [1024, mpc_payloads::MAX_PAYLOAD_LEN] {
            let (_, executed) = suite
                .request_payload_signature(key_id, vec![payload(kind, vec![0x5a; len])])
                .unwrap();
            table.exec(
                &format!(
                    "signature-requests: RequestPayloadSignature, 1 payload of {len} bytes, {kind}"
                ),
                &executed,
            );
        }
    }
    let mail = sr::Payload {
        hash: HashKind::Eip712,
        data: Binary::from(EIP712_MAIL.as_bytes().to_vec()),
        digest: Some(Binary::from(hex::decode(EIP712_MAIL_DIGEST).unwrap())),
    };
    let (id, executed) = suite.request_payload_signature(key_id, vec![mail]).unwrap();
    table.exec(
        &format!(
            "signature-requests: RequestPayloadSignature, eip712 (the EIP's example, {} bytes, digest given)",
            EIP712_MAIL.len()
        ),
        &executed,
    );
    let largest = vec![
        payload(
            HashKind::Keccak256,
            vec![0x5a; mpc_payloads::MAX_PAYLOADS_LEN / 16]
        );
        16
    ];
    let (_, executed) = suite.request_payload_signature(key_id, largest).unwrap();
    table.exec(
        "signature-requests: RequestPayloadSignature, 16 keccak256 payloads of 1024 bytes (the request limit)",
        &executed,
    );
    // The EIP-712 request, fulfilled: the answers read the request, not its payloads.
    let request = suite.signature_request(id);
    let signatures: Vec<Binary> = request
        .items
        .iter()
        .map(|h| sign_hash(&secret, h))
        .collect();
    let first = suite
        .submit_signatures(&suite.parties[0], id, signatures.clone())
        .unwrap();
    table.exec(
        "signature-requests: SubmitSignatureResult of a payload request, 1st party",
        &first,
    );
    let second = suite
        .submit_signatures(&suite.parties[1], id, signatures)
        .unwrap();
    table.exec(
        "signature-requests: SubmitSignatureResult of a payload request, 2nd party (fulfilled)",
        &second,
    );
    assert_eq!(
        suite.signature_request(id).status,
        SignRequestStatus::Fulfilled
    );
}

/// The EIP's own example (EIP-712, "Example"): the `Mail` typed data and its signing hash.
const EIP712_MAIL: &str = r#"{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],"Person":[{"name":"name","type":"string"},{"name":"wallet","type":"address"}],"Mail":[{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]},"primaryType":"Mail","domain":{"name":"Ether Mail","version":"1","chainId":1,"verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},"message":{"from":{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},"to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},"contents":"Hello, Bob!"}}"#;
const EIP712_MAIL_DIGEST: &str = "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2";

struct Row {
    what: String,
    gas: Gas,
}

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
}

impl Table {
    fn add(&mut self, what: impl Into<String>, gas: Gas) {
        let what = what.into();
        // The store accesses traced above this line (MPC_STORE_TRACE) are this step's.
        if std::env::var_os("MPC_STORE_TRACE").is_some() {
            eprintln!("---- {what}: {} store gas\n", thousands(gas.kv));
        }
        self.rows.push(Row { what, gas });
    }

    fn exec(&mut self, what: &str, executed: &Executed) {
        self.add(what, executed.gas);
    }

    fn render(&self, out: &mut String) {
        writeln!(
            out,
            "| step | VM gas (CosmWasm) | store gas (SDK) | total SDK gas |"
        )
        .unwrap();
        writeln!(out, "|---|---:|---:|---:|").unwrap();
        for row in &self.rows {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                row.what,
                thousands(row.gas.vm),
                thousands(row.gas.kv),
                thousands(row.gas.sdk())
            )
            .unwrap();
        }
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn hash(i: u64) -> Binary {
    Binary::from(Sha256::digest(i.to_be_bytes()).to_vec())
}

fn pending_page(
    suite: &Suite,
    keyring_id: u64,
    start_after: Option<u64>,
    limit: u32,
) -> (usize, Gas) {
    let (page, gas): (sr::SignatureRequestsResponse, Gas) = suite
        .chain
        .query_with_gas(
            &suite.signatures,
            &sr::QueryMsg::RequestsByKeyring {
                keyring_id,
                status: SignRequestStatus::Pending,
                start_after,
                limit: Some(limit),
            },
        )
        .expect("list query");
    (page.requests.len(), gas)
}

/// Our contracts: every execute message of the seed process, the connector's list queries, and
/// list queries over a small and a large store. The artifacts are read from `dir`.
fn bench_ours(dir: &Path, large: u64, out: &mut String) -> Vec<(String, Gas)> {
    let suite = Suite::deploy_from(dir);
    let mut table = Table::default();
    let secret = test_key(1);

    let (workspace_id, executed) = suite
        .create_workspace(Some(Policy::Owners { threshold: Some(2) }))
        .unwrap();
    table.exec(
        "workspace: CreateWorkspace (2 owners, 2-of-owners policy)",
        &executed,
    );
    let (keyring_id, executed) = suite.create_keyring().unwrap();
    table.exec("keyring: CreateKeyring (3 parties, threshold 2)", &executed);
    let (key_request, executed) = suite.request_key(workspace_id, keyring_id).unwrap();
    table.exec("keyring: RequestKey (queries workspace IsOwner)", &executed);
    let public_key = mpc_vm_tests::suite::compressed_public_key(&secret);
    let executed = suite
        .submit_key(&suite.parties[0], key_request, &public_key)
        .unwrap();
    table.exec("keyring: SubmitKeyResult, 1st party", &executed);
    let executed = suite
        .submit_key(&suite.parties[1], key_request, &public_key)
        .unwrap();
    table.exec("keyring: SubmitKeyResult, 2nd party", &executed);
    // A key only on every party's answer.
    let executed = suite
        .submit_key(&suite.parties[2], key_request, &public_key)
        .unwrap();
    table.exec(
        "keyring: SubmitKeyResult, 3rd party (key created)",
        &executed,
    );
    let request: kr::KeyRequestResponse = suite
        .chain
        .query(
            &suite.keyring,
            &kr::QueryMsg::KeyRequest {
                request_id: key_request,
            },
        )
        .unwrap();
    let key_id = request.key_id.expect("key created");

    let items = vec![hash(0)];
    let signatures: Vec<Binary> = items.iter().map(|h| sign_hash(&secret, h)).collect();
    let (request_id, request) = suite.request_signature(key_id, items).unwrap();
    table.exec(
        "signature-requests: RequestSignature (1 hash; queries SigningKey, SignPolicy)",
        &request,
    );
    let approve = suite.approve(&suite.owners[1], request_id).unwrap();
    table.exec("signature-requests: Approve (becomes pending)", &approve);
    let first = suite
        .submit_signatures(&suite.parties[0], request_id, signatures.clone())
        .unwrap();
    table.exec(
        "signature-requests: SubmitSignatureResult, 1st party (secp256k1_recover_pubkey)",
        &first,
    );
    let second = suite
        .submit_signatures(&suite.parties[1], request_id, signatures)
        .unwrap();
    table.exec(
        "signature-requests: SubmitSignatureResult, 2nd party (fulfilled)",
        &second,
    );
    assert_eq!(
        suite.signature_request(request_id).status,
        SignRequestStatus::Fulfilled
    );
    let mut seed = Gas::default();
    for step in [&request, &approve, &first, &second] {
        seed += step.gas;
    }
    table.add(
        "**seed process total** (request + 1 approval + 2 party results)",
        seed,
    );
    payload_rows(&mut table, &suite);

    // The connector's list queries.
    let (_, gas) = suite
        .chain
        .query_with_gas::<kr::KeyRequestsResponse>(
            &suite.keyring,
            &kr::QueryMsg::KeyRequestsByKeyring {
                keyring_id,
                status: kr::KeyRequestStatus::Fulfilled,
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    table.add("keyring: KeyRequestsByKeyring (1 result)", gas);
    // What a secp256k1 key controls: EVM (the point decompressed with secp256k1_recover_pubkey,
    // keccak), Cosmos (sha256, ripemd160, bech32) and three Bitcoin P2WPKH addresses.
    let (addresses, gas) = suite
        .chain
        .query_with_gas::<kr::AddressesResponse>(
            &suite.keyring,
            &kr::QueryMsg::Addresses {
                key_id,
                bech32_prefix: Some("cosmos".into()),
            },
        )
        .unwrap();
    assert!(addresses.evm.is_some() && addresses.cosmos.is_some() && addresses.bitcoin.is_some());
    table.add(
        "keyring: Addresses (secp256k1 key, with a bech32 prefix)",
        gas,
    );
    let (_, gas) = suite
        .chain
        .query_with_gas::<ws::WorkspacesResponse>(
            &suite.workspace,
            &ws::QueryMsg::WorkspacesByOwner {
                owner: suite.owners[0].to_string(),
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    table.add("workspace: WorkspacesByOwner (1 result)", gas);

    awaiting_pages(&suite, key_id, &mut table);

    // State size: requests with the default policy go pending at once; list pages of them.
    let (bulk_keyring, bulk_key) = suite.key_ready(None, &test_key(3));
    let started = Instant::now();
    let mut stored = 0u64;
    let mut first_bulk_id = None;
    let mut scaling = Vec::new();
    for target in [100, large] {
        let mut last_request = Gas::default();
        while stored < target {
            let (id, executed) = suite
                .request_signature(bulk_key, vec![hash(stored + 1)])
                .unwrap();
            first_bulk_id.get_or_insert(id);
            last_request = executed.gas;
            stored += 1;
            if stored.is_multiple_of(2000) {
                eprintln!("  {stored} requests stored ({:.0?})", started.elapsed());
            }
        }
        table.add(
            format!("RequestSignature with {target} stored",),
            last_request,
        );
        let (n, first_page) = pending_page(&suite, bulk_keyring, None, 10);
        assert_eq!(n, 10);
        table.add(
            format!("RequestsByKeyring pending, first 10 of {target}"),
            first_page,
        );
        let (n, middle_page) = pending_page(
            &suite,
            bulk_keyring,
            Some(middle_of(first_bulk_id.unwrap_or_default(), target)),
            10,
        );
        assert_eq!(n, 10);
        table.add(
            format!("RequestsByKeyring pending, 10 after the middle of {target}"),
            middle_page,
        );
        let (n, full_page) = pending_page(&suite, bulk_keyring, None, 100);
        assert_eq!(n, 100);
        table.add(
            format!("RequestsByKeyring pending, first 100 of {target}"),
            full_page,
        );
        scaling.push((target, first_page, middle_page));
    }

    // Every stored request left to expire unsettled, then 10 live ones: the connector's pending
    // page must not pay for the overdue ones (they are skipped by a range bound, not a scan).
    let config: sr::ConfigResponse = suite
        .chain
        .query(&suite.signatures, &sr::QueryMsg::Config {})
        .unwrap();
    suite.chain.advance_blocks(config.mpc_timeout_blocks + 1);
    for i in 0..10 {
        suite
            .request_signature(bulk_key, vec![hash(stored + 1 + i)])
            .unwrap();
    }
    let (n, live_page) = pending_page(&suite, bulk_keyring, None, 10);
    assert_eq!(n, 10, "the live requests, none of the overdue ones");
    table.add(
        format!(
            "RequestsByKeyring pending, first 10 (the live ones) with {stored} overdue unsettled"
        ),
        live_page,
    );
    table.render(out);
    let mut totals = vec![("seed".to_string(), seed)];
    for (target, first, middle) in scaling {
        totals.push((format!("list10@{target}"), first));
        totals.push((format!("list10mid@{target}"), middle));
    }
    totals
}

/// Open records an awaiting-approver page is measured over.
const OPEN_RECORDS: u64 = 100;

/// A wallet's "needs your approval" pages (10 entries) over `OPEN_RECORDS` open records that all
/// await the second owner: `partial` signature requests with the seed's key (2-of-owners sign
/// policy), then admin actions of a workspace with a 2-of-owners admin policy.
fn awaiting_pages(suite: &Suite, key_id: u64, table: &mut Table) {
    let approver = suite.owners[1].to_string();
    for i in 0..OPEN_RECORDS {
        let (_, executed) = suite
            .request_signature(key_id, vec![hash(1_000_000 + i)])
            .unwrap();
        assert!(executed
            .attribute("wasm-signature_request", "approver")
            .is_some());
    }
    let (page, gas): (sr::RequestsAwaitingApproverResponse, Gas) = suite
        .chain
        .query_with_gas(
            &suite.signatures,
            &sr::QueryMsg::RequestsAwaitingApprover {
                approver: approver.clone(),
                start_after: None,
                limit: Some(10),
            },
        )
        .expect("requests awaiting approver");
    assert_eq!(page.requests.len(), 10);
    table.add(
        format!("RequestsAwaitingApprover, first 10 of {OPEN_RECORDS} open"),
        gas,
    );

    let two_owners = Some(Policy::Owners { threshold: Some(2) });
    let (workspace_id, _) = suite.create_workspace_with(two_owners, None).unwrap();
    for i in 0..OPEN_RECORDS {
        let action = ws::AdminAction::SetAlias {
            alias: Some(format!("alias {i}")),
        };
        suite.propose(workspace_id, action).unwrap();
    }
    let (page, gas): (ws::ActionsAwaitingApproverResponse, Gas) = suite
        .chain
        .query_with_gas(
            &suite.workspace,
            &ws::QueryMsg::ActionsAwaitingApprover {
                approver,
                start_after: None,
                limit: Some(10),
            },
        )
        .expect("actions awaiting approver");
    assert_eq!(page.actions.len(), 10);
    table.add(
        format!("ActionsAwaitingApprover, first 10 of {OPEN_RECORDS} open"),
        gas,
    );
}

/// The id in the middle of `n` bulk requests whose ids start at `first` (after the seed's and
/// the awaiting pages' requests).
fn middle_of(first: u64, n: u64) -> u64 {
    first + n / 2 - 1
}

fn bench_cw3(wasm: &[u8], large: u64, out: &mut String) -> Vec<(String, Gas)> {
    let mut chain = Chain::new();
    let mut table = Table::default();
    let (multisig, executed) = Multisig::deploy(&mut chain, wasm).expect("cw3 instantiates");
    table.exec("cw3: instantiate (3 voters, 2 of 3)", &executed);
    let (id, propose) = multisig.propose(&chain).unwrap();
    table.exec("cw3: Propose (proposer votes yes)", &propose);
    let vote = multisig.vote(&chain, &multisig.voters[1], id).unwrap();
    table.exec("cw3: Vote (passes)", &vote);
    let execute = multisig.execute(&chain, id).unwrap();
    table.exec("cw3: Execute", &execute);
    let mut seed = propose.gas;
    seed += vote.gas;
    seed += execute.gas;
    table.add("**cw3 total** (propose + 1 vote + execute)", seed);
    let mut totals = vec![("seed".to_string(), seed)];
    let mut stored = 1u64;
    for target in [100, large] {
        while stored < target {
            multisig.propose(&chain).unwrap();
            stored += 1;
        }
        let (page, first) = multisig.list(&chain, None, 10).unwrap();
        assert_eq!(page.len(), 10);
        table.add(format!("cw3: ListProposals, first 10 of {target}"), first);
        let (page, middle) = multisig.list(&chain, Some(target / 2), 10).unwrap();
        assert_eq!(page.len(), 10);
        table.add(
            format!("cw3: ListProposals, 10 after the middle of {target}"),
            middle,
        );
        totals.push((format!("list10@{target}"), first));
        totals.push((format!("list10mid@{target}"), middle));
    }
    table.render(out);
    totals
}

fn sizes(dir: &Path, cw3: &Path, out: &mut String) {
    writeln!(out, "| artifact | bytes |").unwrap();
    writeln!(out, "|---|---:|").unwrap();
    for stem in CONTRACTS {
        let path = dir.join(format!("{stem}.wasm"));
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        writeln!(out, "| {stem}.wasm | {} |", thousands(size)).unwrap();
    }
    if let Ok(meta) = std::fs::metadata(cw3) {
        writeln!(
            out,
            "| cw3_fixed_multisig.wasm (reference) | {} |",
            thousands(meta.len())
        )
        .unwrap();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let large: u64 = std::env::var("MPC_BENCH_LARGE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let variants: [(&str, PathBuf); 2] = [
        ("build-std", artifacts_dir()),
        ("lowered", artifacts_dir().join("lowered")),
    ];
    let mut out = String::new();
    let mut summary = Vec::new();
    for (variant, dir) in &variants {
        if !dir.join("mpc_signature_requests.wasm").exists() {
            eprintln!("skipping {variant}: no artifacts in {}", dir.display());
            continue;
        }
        let cw3_path = cw3::wasm_path(variant);
        eprintln!("{variant}: our contracts");
        writeln!(out, "\n## Recipe `{variant}`\n").unwrap();
        sizes(dir, &cw3_path, &mut out);
        writeln!(out, "\n### Our contracts\n").unwrap();
        let ours = bench_ours(dir, large, &mut out);
        match std::fs::read(&cw3_path) {
            Ok(wasm) => {
                eprintln!("{variant}: cw3-fixed-multisig");
                writeln!(out, "\n### cw3-fixed-multisig (same recipe)\n").unwrap();
                let theirs = bench_cw3(&wasm, large, &mut out);
                summary.push((variant.to_string(), ours, theirs));
            }
            Err(e) => eprintln!("no cw3 reference at {}: {e}", cw3_path.display()),
        }
    }
    writeln!(out, "\n## Side by side (total SDK gas)\n").unwrap();
    writeln!(out, "| recipe | measure | ours | cw3-fixed-multisig |").unwrap();
    writeln!(out, "|---|---|---:|---:|").unwrap();
    for (variant, ours, theirs) in &summary {
        for ((name, a), (_, b)) in ours.iter().zip(theirs) {
            writeln!(
                out,
                "| {variant} | {name} | {} | {} |",
                thousands(a.sdk()),
                thousands(b.sdk())
            )
            .unwrap();
        }
    }
    print!("{out}");
}
