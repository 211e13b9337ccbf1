// A cosmjs `OfflineDirectSigner` whose key is an MPC key (secp256k1): a dApp connects a
// SigningStargateClient with it as with any wallet. Signing makes a payload request for the sign
// doc itself (`cosmos_sign_doc`: the chain hashes it with sha256, as Cosmos signs), so approvers
// and the parties see the transaction's messages, never a bare hash; it waits for the request,
// approvals by other owners included.
import { encodeSecp256k1Signature, type StdSignature } from "@cosmjs/amino";
import { fromBase64 } from "@cosmjs/encoding";
import {
  makeSignBytes,
  type AccountData,
  type DirectSignResponse,
  type OfflineDirectSigner,
} from "@cosmjs/proto-signing";
import type { SignDoc } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { cosmosAddress } from "./keyEncoding.js";
import { MpcError } from "./errors.js";
import { cosmosSignDocPayload, type MpcPayloadSigner } from "./payloads.js";
import type { WaitOptions } from "./wait.js";

export class MpcDirectSigner implements OfflineDirectSigner {
  readonly address: string;

  private constructor(
    private readonly mpc: MpcPayloadSigner,
    readonly keyId: number,
    readonly publicKey: Uint8Array,
    prefix: string,
    private readonly wait: WaitOptions | undefined,
  ) {
    this.address = cosmosAddress(publicKey, prefix);
  }

  /** A signer for MPC key `keyId` (an ECDSA secp256k1 key), addresses with `prefix`. */
  static async fromKey(mpc: MpcPayloadSigner, keyId: number, prefix: string, wait?: WaitOptions): Promise<MpcDirectSigner> {
    const key = await mpc.getKey(keyId);
    if (key.key_type !== "ecdsa_secp256k1") {
      throw new MpcError(`key ${keyId} is ${key.key_type}; a Cosmos account needs an ecdsa_secp256k1 key`);
    }
    return new MpcDirectSigner(mpc, keyId, fromBase64(key.public_key), prefix, wait);
  }

  async getAccounts(): Promise<readonly AccountData[]> {
    return [{ address: this.address, algo: "secp256k1", pubkey: this.publicKey }];
  }

  async signDirect(signerAddress: string, signDoc: SignDoc): Promise<DirectSignResponse> {
    if (signerAddress !== this.address) {
      throw new MpcError(`this signer holds ${this.address}, not ${signerAddress}`);
    }
    const [signed] = await this.mpc.signPayloads(this.keyId, [cosmosSignDocPayload(makeSignBytes(signDoc))], this.wait);
    if (!signed) throw new MpcError(`key ${this.keyId}: the request answered no signature`);
    const stdSignature: StdSignature = encodeSecp256k1Signature(this.publicKey, signed.signature);
    return { signed: signDoc, signature: stdSignature };
  }
}
