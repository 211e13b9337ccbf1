// What the layer needs from cosmjs, as narrow interfaces: a CosmWasmClient / SigningCosmWasmClient
// fits them as is, and the tests fake only these methods (the chain), nothing of the layer.
import type { CosmWasmClient, SigningCosmWasmClient } from "@cosmjs/cosmwasm";

/** Read-only access: smart queries. A `CosmWasmClient` (or a signing one). */
export type QueryChain = Pick<CosmWasmClient, "queryContractSmart">;

/** Queries and transactions: a `SigningCosmWasmClient` connected with the sender's signer. */
export type SigningChain = QueryChain & Pick<SigningCosmWasmClient, "signAndBroadcast">;

/** The three contracts' addresses on one chain. */
export interface MpcContracts {
  readonly workspace: string;
  readonly keyring: string;
  readonly signatureRequests: string;
}

/** How a transaction pays gas: as cosmjs takes it ("auto" needs a gas price on the client). */
export type TxFee = Parameters<SigningCosmWasmClient["signAndBroadcast"]>[2];

/** Options every transaction of the layer takes. */
export interface TxOptions {
  /** Gas fee (default `"auto"`: simulate, with the client's gas price). */
  readonly fee?: TxFee;
  readonly memo?: string;
}
