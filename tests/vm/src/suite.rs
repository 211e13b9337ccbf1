//! The three contracts deployed from their artifacts on a [`Chain`], with one helper per step of
//! the seed process (workspace, keyring, key, signature request, approval, party results).

use cosmwasm_std::{Addr, Binary, Checksum};
use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::{Signature, SigningKey};
use mpc_interfaces::events::{self, attr};
use mpc_interfaces::{keyring as kr, signature_requests as sr, workspace as ws, KeyType, Policy};

use std::path::Path;

use crate::chain::{CallError, Chain, Executed};
use crate::{artifacts_dir, read_artifact_in};

/// Checksums of the three stored codes.
pub struct Codes {
    pub workspace: Checksum,
    pub keyring: Checksum,
    pub signature_requests: Checksum,
}

impl Codes {
    /// Uploads the artifacts in `dir` through the chain's static checks.
    pub fn store(chain: &Chain, dir: &Path) -> Result<Self, cosmwasm_vm::VmError> {
        Ok(Self {
            workspace: chain.store_code(&read_artifact_in(dir, "mpc_workspace"))?,
            keyring: chain.store_code(&read_artifact_in(dir, "mpc_keyring"))?,
            signature_requests: chain
                .store_code(&read_artifact_in(dir, "mpc_signature_requests"))?,
        })
    }
}

/// A deployed suite: three contracts wired to each other, and the actors of the seed process.
pub struct Suite {
    pub chain: Chain,
    pub workspace: Addr,
    pub keyring: Addr,
    pub signatures: Addr,
    pub deployer: Addr,
    /// Owners of the workspaces created by the helpers; `owners[0]` requests.
    pub owners: [Addr; 2],
    /// The MPC parties of the keyring.
    pub parties: [Addr; 3],
}

/// Reads the id the contract put in its event, e.g. `request_id` of `wasm-signature_request`.
pub fn event_id(executed: &Executed, event: &str, key: &str) -> u64 {
    let ty = format!("wasm-{event}");
    executed
        .attribute(&ty, key)
        .unwrap_or_else(|| panic!("no {key} in {ty}: {:?}", executed.events))
        .parse()
        .expect("numeric id")
}

impl Suite {
    /// Deploys the artifacts of artifacts/.
    pub fn deploy() -> Self {
        Self::deploy_from(&artifacts_dir())
    }

    pub fn deploy_from(dir: &Path) -> Self {
        Self::deploy_to(Chain::new(), dir)
    }

    /// The committed artifacts on `chain` (e.g. one with another capability set).
    pub fn deploy_on(chain: Chain) -> Self {
        Self::deploy_to(chain, &artifacts_dir())
    }

    fn deploy_to(mut chain: Chain, dir: &Path) -> Self {
        let codes = Codes::store(&chain, dir).expect("artifacts pass the chain's upload checks");
        let deployer = chain.addr("deployer");
        let (workspace, _) = chain
            .instantiate(
                &codes.workspace,
                &deployer,
                &ws::InstantiateMsg {
                    action_timeout_blocks: None,
                },
            )
            .expect("workspace instantiates");
        let (keyring, _) = chain
            .instantiate(
                &codes.keyring,
                &deployer,
                &kr::InstantiateMsg {
                    workspace_contract: workspace.to_string(),
                    key_request_timeout_blocks: None,
                },
            )
            .expect("keyring instantiates");
        let (signatures, _) = chain
            .instantiate(
                &codes.signature_requests,
                &deployer,
                &sr::InstantiateMsg {
                    workspace_contract: workspace.to_string(),
                    keyring_contract: keyring.to_string(),
                    approval_timeout_blocks: None,
                    mpc_timeout_blocks: None,
                },
            )
            .expect("signature-requests instantiates");
        let owners = [chain.addr("owner-a"), chain.addr("owner-b")];
        let parties = [
            chain.addr("party-1"),
            chain.addr("party-2"),
            chain.addr("party-3"),
        ];
        Self {
            chain,
            workspace,
            keyring,
            signatures,
            deployer,
            owners,
            parties,
        }
    }

    /// A workspace of both owners with the given sign policy (`None`: any one owner).
    pub fn create_workspace(
        &self,
        sign_policy: Option<Policy>,
    ) -> Result<(u64, Executed), CallError> {
        self.create_workspace_with(None, sign_policy)
    }

    /// A workspace of both owners with the given admin and sign policies (`None`: any one
    /// owner).
    pub fn create_workspace_with(
        &self,
        admin_policy: Option<Policy>,
        sign_policy: Option<Policy>,
    ) -> Result<(u64, Executed), CallError> {
        let executed = self.chain.execute(
            &self.workspace,
            &self.owners[0],
            &ws::ExecuteMsg::CreateWorkspace {
                additional_owners: vec![self.owners[1].to_string()],
                admin_policy,
                sign_policy,
                alias: Some("treasury".to_string()),
            },
            &[],
        )?;
        let id = event_id(&executed, events::WORKSPACE_EVENT, attr::WORKSPACE_ID);
        Ok((id, executed))
    }

    /// A keyring of the three parties with threshold 2 and no fees.
    pub fn create_keyring(&self) -> Result<(u64, Executed), CallError> {
        let executed = self.chain.execute(
            &self.keyring,
            &self.deployer,
            &kr::ExecuteMsg::CreateKeyring {
                description: "three MPC parties, any two sign".to_string(),
                parties: self.parties.iter().map(Addr::to_string).collect(),
                party_threshold: 2,
                key_req_fee: vec![],
                sig_req_fee: vec![],
            },
            &[],
        )?;
        let id = event_id(&executed, events::KEYRING_EVENT, attr::KEYRING_ID);
        Ok((id, executed))
    }

    /// `owners[0]` proposes `action` on the workspace: the action's id.
    pub fn propose(
        &self,
        workspace_id: u64,
        action: ws::AdminAction,
    ) -> Result<(u64, Executed), CallError> {
        let executed = self.chain.execute(
            &self.workspace,
            &self.owners[0],
            &ws::ExecuteMsg::ProposeAction {
                workspace_id,
                action,
                timeout_blocks: None,
            },
            &[],
        )?;
        let id = event_id(&executed, events::ADMIN_ACTION_EVENT, attr::ACTION_ID);
        Ok((id, executed))
    }

    pub fn request_key(
        &self,
        workspace_id: u64,
        keyring_id: u64,
    ) -> Result<(u64, Executed), CallError> {
        let executed = self.chain.execute(
            &self.keyring,
            &self.owners[0],
            &kr::ExecuteMsg::RequestKey {
                workspace_id,
                keyring_id,
                key_type: KeyType::EcdsaSecp256k1,
                timeout_blocks: None,
                max_fee: None,
            },
            &[],
        )?;
        let id = event_id(&executed, events::KEY_REQUEST_EVENT, attr::REQUEST_ID);
        Ok((id, executed))
    }

    pub fn submit_key(
        &self,
        party: &Addr,
        request_id: u64,
        public_key: &[u8],
    ) -> Result<Executed, CallError> {
        self.chain.execute(
            &self.keyring,
            party,
            &kr::ExecuteMsg::SubmitKeyResult {
                request_id,
                result: kr::KeyResult::Success {
                    public_key: Binary::from(public_key),
                },
            },
            &[],
        )
    }

    pub fn request_signature(
        &self,
        key_id: u64,
        items: Vec<Binary>,
    ) -> Result<(u64, Executed), CallError> {
        self.request(&sr::ExecuteMsg::request_signature(key_id, items))
    }

    /// The first owner asks for a signature of each payload (the contract hashes them).
    pub fn request_payload_signature(
        &self,
        key_id: u64,
        payloads: Vec<sr::Payload>,
    ) -> Result<(u64, Executed), CallError> {
        self.request(&sr::ExecuteMsg::request_payload_signature(key_id, payloads))
    }

    fn request(&self, msg: &sr::ExecuteMsg) -> Result<(u64, Executed), CallError> {
        let executed = self
            .chain
            .execute(&self.signatures, &self.owners[0], msg, &[])?;
        let id = event_id(&executed, events::SIGNATURE_REQUEST_EVENT, attr::REQUEST_ID);
        Ok((id, executed))
    }

    pub fn approve(&self, approver: &Addr, request_id: u64) -> Result<Executed, CallError> {
        self.chain.execute(
            &self.signatures,
            approver,
            &sr::ExecuteMsg::Approve { request_id },
            &[],
        )
    }

    /// A party's answer with `signatures` and the recovery id of each under the request's key
    /// (0 where none recovers it: a signature by another key).
    pub fn submit_signatures(
        &self,
        party: &Addr,
        request_id: u64,
        signatures: Vec<Binary>,
    ) -> Result<Executed, CallError> {
        let request = self.signature_request(request_id);
        let recovery_ids = recovery_ids(&request.public_key, &request.items, &signatures);
        self.chain.execute(
            &self.signatures,
            party,
            &sr::ExecuteMsg::SubmitSignatureResult {
                request_id,
                result: sr::SignResult::Success {
                    signatures,
                    recovery_ids,
                },
            },
            &[],
        )
    }

    pub fn signature_request(&self, request_id: u64) -> sr::SignatureRequestResponse {
        self.chain
            .query(&self.signatures, &sr::QueryMsg::Request { request_id })
            .expect("request query")
    }

    /// Workspace with `sign_policy`, keyring, and an ECDSA key that every party reported: the key
    /// id. The key's secret stands in for what the parties' threshold signing would produce.
    pub fn key_ready(&self, sign_policy: Option<Policy>, secret: &SigningKey) -> (u64, u64) {
        let (workspace_id, _) = self.create_workspace(sign_policy).expect("workspace");
        let (keyring_id, _) = self.create_keyring().expect("keyring");
        let (request_id, _) = self
            .request_key(workspace_id, keyring_id)
            .expect("key request");
        let public_key = compressed_public_key(secret);
        let mut key_id = None;
        for party in &self.parties {
            let executed = self
                .submit_key(party, request_id, &public_key)
                .expect("key result");
            if executed
                .attribute(&format!("wasm-{}", events::KEY_EVENT), attr::KEY_ID)
                .is_some()
                || executed
                    .attribute(&format!("wasm-{}", events::KEY_REQUEST_EVENT), attr::KEY_ID)
                    .is_some()
            {
                let request: kr::KeyRequestResponse = self
                    .chain
                    .query(&self.keyring, &kr::QueryMsg::KeyRequest { request_id })
                    .expect("key request query");
                key_id = request.key_id;
            }
        }
        (
            keyring_id,
            key_id.expect("every party's matching result creates the key"),
        )
    }
}

/// The 33-byte compressed secp256k1 public key.
pub fn compressed_public_key(secret: &SigningKey) -> Vec<u8> {
    secret
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec()
}

/// A 64-byte low-s r||s signature over a 32-byte hash, as the parties' threshold signing outputs.
pub fn sign_hash(secret: &SigningKey, hash: &[u8]) -> Binary {
    let signature: Signature = secret.sign_prehash(hash).expect("signing a 32-byte hash");
    let signature = signature.normalize_s().unwrap_or(signature);
    Binary::from(signature.to_bytes().to_vec())
}

/// The recovery id of each secp256k1 signature of `hashes` under the compressed `public_key`,
/// by trial recovery; 0 where none recovers the key.
pub fn recovery_ids(public_key: &[u8], hashes: &[Binary], signatures: &[Binary]) -> Vec<u8> {
    let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(public_key).expect("public key");
    hashes
        .iter()
        .zip(signatures)
        .map(|(hash, signature)| {
            Signature::from_slice(signature)
                .ok()
                .and_then(|signature| {
                    k256::ecdsa::RecoveryId::trial_recovery_from_prehash(&key, hash, &signature)
                        .ok()
                })
                .map_or(0, |id| id.to_byte())
        })
        .collect()
}

/// A fixed test key (deterministic, so gas numbers repeat run to run).
pub fn test_key(seed: u8) -> SigningKey {
    let mut bytes = [0u8; 32];
    bytes[31] = seed;
    bytes[0] = 0x42;
    SigningKey::from_bytes(&bytes.into()).expect("valid scalar")
}
