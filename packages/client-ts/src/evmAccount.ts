// A viem account whose key is an MPC key (secp256k1): `toAccount` with signMessage,
// signTypedData and signTransaction going through payload requests, so the contract, the
// approvers and the parties see the message, the typed data or the transaction's bytes, never a
// bare hash. A dApp uses it as any viem local account (`createWalletClient({ account, ... })`,
// `sendTransaction`); each signature waits for the request's approvals and the parties.
import { fromBase64 } from "@cosmjs/encoding";
import { secp256k1 } from "@noble/curves/secp256k1";
import {
  bytesToHex,
  hexToBytes,
  serializeSignature,
  serializeTransaction,
  type Hex,
  type SerializeTransactionFn,
  type TransactionSerializable,
} from "viem";
import { toAccount, type LocalAccount } from "viem/accounts";
import { MpcError } from "./errors.js";
import { evmAddress } from "./keyEncoding.js";
import { bytesPayload, eip191Payload, eip712Payload, type MpcPayloadSigner, type PayloadBytes } from "./payloads.js";
import type { PayloadSignature } from "./verify.js";
import type { WaitOptions } from "./wait.js";

export interface MpcAccountOptions {
  /** An `MpcClient` whose sender owns the key's workspace. */
  readonly client: MpcPayloadSigner;
  /** An ECDSA secp256k1 key. */
  readonly keyId: number;
  /** How each signature waits for its request (default: the layer's, 10 minutes). */
  readonly wait?: WaitOptions;
}

/** A viem `LocalAccount` (`source: "mpc"`) backed by MPC key `keyId`. */
export type MpcAccount = LocalAccount<"mpc"> & {
  readonly keyId: number;
};

function uncompressed(publicKey: Uint8Array): Hex {
  return bytesToHex(secp256k1.ProjectivePoint.fromHex(publicKey).toRawBytes(false));
}

/** The (r, s, yParity) of a payload signature, with `v` = 27 + yParity (legacy transactions need it). */
export function signatureParts({ signature, recoveryId }: Pick<PayloadSignature, "signature" | "recoveryId">) {
  return {
    r: bytesToHex(signature.subarray(0, 32)),
    s: bytesToHex(signature.subarray(32, 64)),
    yParity: recoveryId,
    v: 27n + BigInt(recoveryId),
  };
}

/**
 * A viem account for MPC key `keyId`. Its address is derived here from the key's public key
 * (`evmAddress`, as `keyEncodings` gives it); `keyAddresses` asks the keyring for the same.
 * - `signMessage({ message })`: an `eip191` payload of the message's bytes;
 * - `signTypedData(typedData)`: an `eip712` payload, the typed data as `eth_signTypedData_v4`
 *   JSON with its `hashTypedData` digest (the parties recompute it and refuse a mismatch);
 * - `signTransaction(tx)`: a `keccak256` payload of `serializeTransaction(tx)` (the unsigned
 *   serialisation, EIP-4844 without sidecars, as viem signs it), then `serializeTransaction(tx,
 *   { r, s, yParity })` with the recovery id the contract stored.
 * Each makes one payload request, waits for it and verifies the signature and recovery id
 * against the key before returning it. There is no `sign({ hash })`: a bare hash is blind
 * signing (use `MpcClient.requestSignature` for that, knowingly).
 */
export async function mpcAccount(options: MpcAccountOptions): Promise<MpcAccount> {
  const { client, keyId, wait } = options;
  const key = await client.getKey(keyId);
  if (key.key_type !== "ecdsa_secp256k1") {
    throw new MpcError(`key ${keyId} is ${key.key_type}; an EVM account needs an ecdsa_secp256k1 key`);
  }
  const publicKey = fromBase64(key.public_key);
  const signOne = async (payload: PayloadBytes): Promise<PayloadSignature> => {
    const [signature] = await client.signPayloads(keyId, [payload], wait);
    if (!signature) throw new MpcError(`key ${keyId}: the request answered no signature`);
    return signature;
  };

  const account = toAccount({
    address: evmAddress(publicKey) as Hex,
    async signMessage({ message }) {
      return serializeSignature(signatureParts(await signOne(eip191Payload(message))));
    },
    async signTypedData(typedData) {
      return serializeSignature(signatureParts(await signOne(eip712Payload(typedData))));
    },
    async signTransaction(transaction, signOptions) {
      const serializer = (signOptions?.serializer ?? serializeTransaction) as SerializeTransactionFn<TransactionSerializable>;
      const tx = transaction as TransactionSerializable;
      // EIP-4844: the payload body is signed without the sidecars (the network wrapper), as viem does.
      const signable = tx.type === "eip4844" ? { ...tx, sidecars: false as const } : tx;
      const unsigned = await serializer(signable);
      const signature = await signOne(bytesPayload("keccak256", hexToBytes(unsigned)));
      return serializer(tx, signatureParts(signature));
    },
  });
  return { ...account, publicKey: uncompressed(publicKey), source: "mpc", keyId };
}
