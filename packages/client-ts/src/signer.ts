// A cosmjs `OfflineDirectSigner` whose key is an MPC key (secp256k1): a dApp connects a
// SigningStargateClient with it as with any wallet. Signing makes a signature request for the
// sign doc's sha256 (what Cosmos signs) and waits for it, approvals by other owners included.
import { encodeSecp256k1Signature, type StdSignature } from "@cosmjs/amino";
import { sha256 } from "@cosmjs/crypto";
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
import type { WaitOptions } from "./wait.js";
import type { KeyResponse } from "./generated/mpc-keyring/MpcKeyring.types.js";

/** What the signer needs of the chain: the key, and signing a 32-byte hash with it. */
export interface MpcHashSigner {
  getKey(keyId: number): Promise<KeyResponse>;
  /** One verified 64-byte r‖s signature per item (see `MpcClient.sign`). */
  sign(keyId: number, items: readonly Uint8Array[], wait?: WaitOptions): Promise<Uint8Array[]>;
}

export class MpcDirectSigner implements OfflineDirectSigner {
  readonly address: string;

  private constructor(
    private readonly mpc: MpcHashSigner,
    readonly keyId: number,
    readonly publicKey: Uint8Array,
    prefix: string,
    private readonly wait: WaitOptions | undefined,
  ) {
    this.address = cosmosAddress(publicKey, prefix);
  }

  /** A signer for MPC key `keyId` (an ECDSA secp256k1 key), addresses with `prefix`. */
  static async fromKey(mpc: MpcHashSigner, keyId: number, prefix: string, wait?: WaitOptions): Promise<MpcDirectSigner> {
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
    const hash = sha256(makeSignBytes(signDoc));
    const [signature] = await this.mpc.sign(this.keyId, [hash], this.wait);
    const stdSignature: StdSignature = encodeSecp256k1Signature(this.publicKey, signature!);
    return { signed: signDoc, signature: stdSignature };
  }
}
