// A key in the encodings dApps use: hex and base64 for any key; for a secp256k1 key also the
// Cosmos account address (bech32 of ripemd160(sha256(key)), with any prefix) and the EVM address
// (last 20 bytes of keccak256 of the uncompressed point, EIP-55 checksummed).
import { encodeSecp256k1Pubkey, pubkeyToAddress, rawEthSecp256k1PubkeyToRawAddress } from "@cosmjs/amino";
import { toBase64, toHex } from "@cosmjs/encoding";
import { keccak_256 } from "@noble/hashes/sha3";
import type { KeyType } from "./generated/mpc-keyring/MpcKeyring.types.js";

export function cosmosAddress(secp256k1PublicKey: Uint8Array, prefix: string): string {
  return pubkeyToAddress(encodeSecp256k1Pubkey(secp256k1PublicKey), prefix);
}

/** EIP-55: a hex digit is upper case when the same nibble of keccak256(lower-case hex) is >= 8. */
export function eip55(addressHex: string): string {
  const lower = addressHex.toLowerCase().replace(/^0x/, "");
  const hash = toHex(keccak_256(new TextEncoder().encode(lower)));
  return "0x" + [...lower].map((c, i) => (parseInt(hash[i]!, 16) >= 8 ? c.toUpperCase() : c)).join("");
}

export function evmAddress(secp256k1PublicKey: Uint8Array): string {
  return eip55(toHex(rawEthSecp256k1PubkeyToRawAddress(secp256k1PublicKey)));
}

export interface KeyEncodings {
  readonly hex: string;
  readonly base64: string;
  /** secp256k1 only. */
  readonly cosmosAddress?: string;
  /** secp256k1 only. */
  readonly evmAddress?: string;
}

export function keyEncodings(keyType: KeyType, publicKey: Uint8Array, bech32Prefix?: string): KeyEncodings {
  const plain = { hex: toHex(publicKey), base64: toBase64(publicKey) };
  if (keyType !== "ecdsa_secp256k1") return plain;
  return {
    ...plain,
    ...(bech32Prefix === undefined ? {} : { cosmosAddress: cosmosAddress(publicKey, bech32Prefix) }),
    evmAddress: evmAddress(publicKey),
  };
}
