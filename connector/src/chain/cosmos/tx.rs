//! Building and signing one transaction of `MsgExecuteContract`s (SIGN_MODE_DIRECT).

use cosmrs::cosmwasm::MsgExecuteContract;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tendermint::chain;
use cosmrs::tx::{Body, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Any, Coin};

use crate::chain::{ChainError, ContractCall};

/// The signer's account as the chain knows it: `account_number` goes into the sign doc,
/// `sequence` must equal the chain's next expected sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountSequence {
    pub account_number: u64,
    pub sequence: u64,
}

/// Gas limit and the fee paid for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxFee {
    pub gas_limit: u64,
    /// Amount in `denom`; zero means no fee coin at all (the SDK refuses zero-amount coins).
    pub amount: u128,
    pub denom: String,
}

/// One `MsgExecuteContract` per call, all sent by `sender`.
pub fn execute_messages(
    sender: &AccountId,
    calls: &[ContractCall],
) -> Result<Vec<Any>, ChainError> {
    calls
        .iter()
        .map(|call| {
            let contract = call
                .contract
                .parse::<AccountId>()
                .map_err(|e| ChainError::Decode(format!("contract {:?}: {e}", call.contract)))?;
            MsgExecuteContract {
                sender: sender.clone(),
                contract,
                msg: call.msg.clone(),
                funds: coins(&call.funds)?,
            }
            .to_any()
            .map_err(|e| ChainError::Decode(format!("encode MsgExecuteContract: {e}")))
        })
        .collect()
}

/// cosmwasm coins to cosmrs coins, sorted by denomination as the SDK requires of a `Coins` set.
fn coins(funds: &[cosmwasm_std::Coin]) -> Result<Vec<Coin>, ChainError> {
    let mut coins = funds
        .iter()
        .map(|coin| {
            let amount = cosmwasm_std::Uint128::try_from(coin.amount)
                .map_err(|e| ChainError::Decode(format!("funds {coin}: {e}")))?;
            Coin::new(amount.u128(), &coin.denom)
                .map_err(|e| ChainError::Decode(format!("funds {coin}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    coins.sort_by(|a, b| a.denom.as_ref().cmp(b.denom.as_ref()));
    Ok(coins)
}

/// The signed transaction's protobuf bytes (`TxRaw`), ready for simulate or broadcast.
pub fn sign_tx(
    key: &SigningKey,
    chain_id: &chain::Id,
    account: AccountSequence,
    messages: Vec<Any>,
    fee: &TxFee,
) -> Result<Vec<u8>, ChainError> {
    let encode = |e: cosmrs::ErrorReport| ChainError::Decode(format!("encode tx: {e}"));
    let amount = if fee.amount == 0 {
        vec![]
    } else {
        vec![Coin::new(fee.amount, &fee.denom).map_err(encode)?]
    };
    let fee = Fee {
        amount,
        gas_limit: fee.gas_limit,
        payer: None,
        granter: None,
    };
    let body = Body::new(messages, "", 0u32);
    let auth_info =
        SignerInfo::single_direct(Some(key.public_key()), account.sequence).auth_info(fee);
    let sign_doc =
        SignDoc::new(&body, &auth_info, chain_id, account.account_number).map_err(encode)?;
    sign_doc
        .sign(key)
        .map_err(encode)?
        .to_bytes()
        .map_err(encode)
}

/// Hash under which CometBFT and the SDK index a transaction: upper-case hex of its SHA-256.
pub fn tx_hash(tx_bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode_upper(Sha256::digest(tx_bytes))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::chain::cosmos::address::account_address;
    use cosmrs::proto::cosmos::tx::v1beta1::SignDoc as ProtoSignDoc;
    use cosmrs::proto::traits::Message;
    use cosmrs::tx::{SignMode, Tx};
    use k256::ecdsa::signature::Verifier;

    pub(crate) const KEY: [u8; 32] = [7u8; 32];

    pub(crate) fn contract(n: u8) -> String {
        AccountId::new("wasm", &[n; 32]).unwrap().to_string()
    }

    fn setup() -> (SigningKey, AccountId) {
        let key = SigningKey::from_slice(&KEY).unwrap();
        let k256_key = k256::ecdsa::SigningKey::from_slice(&KEY).unwrap();
        let sender = account_address(k256_key.verifying_key(), "wasm").unwrap();
        (key, sender)
    }

    fn calls() -> Vec<ContractCall> {
        vec![
            ContractCall {
                contract: contract(1),
                msg: br#"{"approve":{"id":1}}"#.to_vec(),
                funds: vec![
                    cosmwasm_std::coin(5, "uusd"),
                    cosmwasm_std::coin(7, "uatom"),
                ],
                gas_reserve: 0,
            },
            ContractCall {
                contract: contract(2),
                msg: br#"{"submit":{}}"#.to_vec(),
                funds: vec![],
                gas_reserve: 0,
            },
        ]
    }

    #[test]
    fn signed_tx_round_trips_and_signature_verifies() {
        let (key, sender) = setup();
        let chain_id: chain::Id = "localwasm-1".parse().unwrap();
        let account = AccountSequence {
            account_number: 12,
            sequence: 34,
        };
        let fee = TxFee {
            gas_limit: 250_000,
            amount: 6_250,
            denom: "ustake".into(),
        };
        let bytes = sign_tx(
            &key,
            &chain_id,
            account,
            execute_messages(&sender, &calls()).unwrap(),
            &fee,
        )
        .unwrap();

        let tx = Tx::from_bytes(&bytes).unwrap();
        // Messages, in order, with their sender, contract, JSON and sorted funds.
        let msgs: Vec<MsgExecuteContract> = tx
            .body
            .messages
            .iter()
            .map(|m| MsgExecuteContract::from_any(m).unwrap())
            .collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].sender, sender);
        assert_eq!(msgs[0].contract.to_string(), contract(1));
        assert_eq!(msgs[0].msg, br#"{"approve":{"id":1}}"#);
        let funds: Vec<(String, u128)> = msgs[0]
            .funds
            .iter()
            .map(|c| (c.denom.to_string(), c.amount))
            .collect();
        assert_eq!(
            funds,
            vec![("uatom".to_string(), 7), ("uusd".to_string(), 5)]
        );
        assert_eq!(msgs[1].contract.to_string(), contract(2));
        assert!(msgs[1].funds.is_empty());

        // Fee and signer.
        assert_eq!(tx.auth_info.fee.gas_limit, 250_000);
        assert_eq!(tx.auth_info.fee.amount.len(), 1);
        assert_eq!(tx.auth_info.fee.amount[0].amount, 6_250);
        assert_eq!(tx.auth_info.fee.amount[0].denom.as_ref(), "ustake");
        assert_eq!(tx.auth_info.signer_infos.len(), 1);
        let signer = &tx.auth_info.signer_infos[0];
        assert_eq!(signer.sequence, 34);
        assert_eq!(
            signer.public_key.as_ref().and_then(|k| k.single()),
            Some(&key.public_key())
        );
        assert_eq!(
            signer.mode_info,
            cosmrs::tx::ModeInfo::single(SignMode::Direct)
        );

        // The signature is over the direct-mode SignDoc built from the bytes actually sent.
        let raw = cosmrs::proto::cosmos::tx::v1beta1::TxRaw::decode(bytes.as_slice()).unwrap();
        let sign_doc = ProtoSignDoc {
            body_bytes: raw.body_bytes.clone(),
            auth_info_bytes: raw.auth_info_bytes.clone(),
            chain_id: "localwasm-1".into(),
            account_number: 12,
        };
        let verifying_key = *k256::ecdsa::SigningKey::from_slice(&KEY)
            .unwrap()
            .verifying_key();
        let signature = k256::ecdsa::Signature::from_slice(&tx.signatures[0]).unwrap();
        assert!(verifying_key
            .verify(&sign_doc.encode_to_vec(), &signature)
            .is_ok());
        // ... and binds the chain id and the account number.
        let other_chain = ProtoSignDoc {
            chain_id: "otherchain-1".into(),
            ..sign_doc.clone()
        };
        assert!(verifying_key
            .verify(&other_chain.encode_to_vec(), &signature)
            .is_err());
        let other_account = ProtoSignDoc {
            account_number: 13,
            ..sign_doc
        };
        assert!(verifying_key
            .verify(&other_account.encode_to_vec(), &signature)
            .is_err());
        // The SDK refuses high-s signatures.
        assert!(signature.normalize_s().is_none());
    }

    #[test]
    fn zero_fee_has_no_fee_coin() {
        let (key, sender) = setup();
        let fee = TxFee {
            gas_limit: 1_000,
            amount: 0,
            denom: "ustake".into(),
        };
        let msgs = execute_messages(&sender, &calls()[1..]).unwrap();
        let bytes = sign_tx(
            &key,
            &"c-1".parse().unwrap(),
            AccountSequence {
                account_number: 0,
                sequence: 0,
            },
            msgs,
            &fee,
        )
        .unwrap();
        let tx = Tx::from_bytes(&bytes).unwrap();
        assert!(tx.auth_info.fee.amount.is_empty());
        assert_eq!(tx.auth_info.fee.gas_limit, 1_000);
    }

    #[test]
    fn bad_contract_address_is_refused() {
        let (_, sender) = setup();
        let call = ContractCall {
            contract: "not-an-address".into(),
            msg: b"{}".to_vec(),
            funds: vec![],
            gas_reserve: 0,
        };
        let err = execute_messages(&sender, &[call]).unwrap_err();
        assert!(
            matches!(err, ChainError::Decode(ref m) if m.contains("not-an-address")),
            "{err}"
        );
    }

    #[test]
    fn funds_beyond_u128_are_refused() {
        let (_, sender) = setup();
        let call = ContractCall {
            contract: contract(1),
            msg: b"{}".to_vec(),
            funds: vec![cosmwasm_std::Coin::new(cosmwasm_std::Uint256::MAX, "uatom")],
            gas_reserve: 0,
        };
        assert!(matches!(
            execute_messages(&sender, &[call]),
            Err(ChainError::Decode(_))
        ));
    }

    #[test]
    fn tx_hash_is_upper_hex_sha256() {
        assert_eq!(
            tx_hash(b""),
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
        );
    }
}
