// @mpc-suite/client: the generated contract types and clients (namespaced per contract), and the
// hand-written layer for dApps.
export * as Workspace from "./generated/mpc-workspace/MpcWorkspace.client.js";
export * as WorkspaceTypes from "./generated/mpc-workspace/MpcWorkspace.types.js";
export * as WorkspaceComposer from "./generated/mpc-workspace/MpcWorkspace.message-composer.js";
export * as Keyring from "./generated/mpc-keyring/MpcKeyring.client.js";
export * as KeyringTypes from "./generated/mpc-keyring/MpcKeyring.types.js";
export * as KeyringComposer from "./generated/mpc-keyring/MpcKeyring.message-composer.js";
export * as SignatureRequests from "./generated/mpc-signature-requests/MpcSignatureRequests.client.js";
export * as SignatureRequestsTypes from "./generated/mpc-signature-requests/MpcSignatureRequests.types.js";
export * as SignatureRequestsComposer from "./generated/mpc-signature-requests/MpcSignatureRequests.message-composer.js";

export type { MpcContracts, QueryChain, SigningChain, TxFee, TxOptions } from "./chain.js";
export { MpcClient, MpcQueryClient, type FinalRequest, type FinalStatus, type MpcClientOptions } from "./client.js";
export {
  ContractRefusal,
  InvalidSignature,
  MpcError,
  SigningFailed,
  TxFailed,
  UnexpectedResponse,
  WaitTimeout,
  mapChainError,
  refusalFromText,
  type RefusalCode,
} from "./errors.js";
export { Attr, EventType, FinalAction } from "./events.js";
export { CometEventSource, contractEvents, type ContractEvent, type ContractEventSource, type EventSubscription } from "./eventSource.js";
export { feePayment, sortCoins, withMaxFee, type FeePayment, type FeePolicy } from "./fees.js";
export { cosmosAddress, eip55, evmAddress, keyEncodings, type KeyEncodings } from "./keyEncoding.js";
export { getKey, getKeyRequest, keyAddresses, keyRequestFee, prepareCreateKeyring, prepareRequestKey, type CreateKeyringArgs, type RequestKeyArgs, type RequestKeyMsg } from "./keyring.js";
export { mpcAccount, signatureParts, type MpcAccount, type MpcAccountOptions } from "./evmAccount.js";
export {
  InvalidPayload,
  bytesPayload,
  checkPayload,
  cosmosSignDocPayload,
  HASH_KINDS,
  isHashKind,
  eip191Payload,
  eip712Payload,
  parseTypedData,
  payloadBytes,
  payloadDigest,
  toWirePayload,
  type AddressesResponse,
  type HashKind,
  type MpcPayloadSigner,
  type Payload,
  type PayloadBytes,
  type PayloadRequestRecord,
  type RequestPayloadSignatureMsg,
} from "./payloads.js";
export { execute, executeBatch, executeContractMsg, preparedPlain, preparedWithId, type Prepared } from "./prepared.js";
export {
  getSignatureRequest,
  prepareApprove,
  prepareCancel,
  prepareExecute,
  prepareReject,
  prepareRequestPayloadSignature,
  prepareRequestSignature,
  requestsAwaitingApprover,
  signatureRequestFee,
  type RequestPayloadSignatureArgs,
  type RequestSignatureArgs,
  type RequestSignatureMsg,
} from "./signatureRequests.js";
export { MpcDirectSigner } from "./signer.js";
export { executeResponseData, idFromResponse } from "./txData.js";
export {
  checkSignature,
  requestRecoveryIds,
  verifyPayloadSignatures,
  verifyRequestSignatures,
  verifySignature,
  type PayloadSignature,
} from "./verify.js";
export { WAIT_DEFAULTS, waitUntilFinal, type WaitOptions, type WatchSpec } from "./wait.js";
export { prepareCreateWorkspace, type CreateWorkspaceArgs } from "./workspace.js";
