// Event and attribute names of the contracts, as packages/interfaces/src/events.rs defines them.
// wasmd prefixes a contract's custom event type with `wasm-`.

export const WASM_EVENT_PREFIX = "wasm-";
/** Attribute wasmd adds to every event a contract emits. */
export const CONTRACT_ADDRESS_ATTR = "_contract_address";

export const EventType = {
  workspace: "workspace",
  adminAction: "admin_action",
  keyring: "keyring",
  keyRequest: "key_request",
  key: "key",
  config: "config",
  signatureRequest: "signature_request",
} as const;

export const Attr = {
  action: "action",
  workspaceId: "workspace_id",
  keyringId: "keyring_id",
  requestId: "request_id",
  keyId: "key_id",
  status: "status",
} as const;

/** Values of the `action` attribute that end a request. */
export const FinalAction = {
  fulfilled: "fulfilled",
  rejected: "rejected",
  expired: "expired",
} as const;
