// Published test vectors the payload and EVM account tests share.

// EIP-712's own example (eips.ethereum.org/EIPS/eip-712, "Example": Example.js / Example.sol),
// as eth_signTypedData_v4 takes it; its signing hash is published there.
export const MAIL_JSON = JSON.stringify({
  types: {
    EIP712Domain: [
      { name: "name", type: "string" },
      { name: "version", type: "string" },
      { name: "chainId", type: "uint256" },
      { name: "verifyingContract", type: "address" },
    ],
    Person: [
      { name: "name", type: "string" },
      { name: "wallet", type: "address" },
    ],
    Mail: [
      { name: "from", type: "Person" },
      { name: "to", type: "Person" },
      { name: "contents", type: "string" },
    ],
  },
  primaryType: "Mail",
  domain: { name: "Ether Mail", version: "1", chainId: 1, verifyingContract: "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC" },
  message: {
    from: { name: "Cow", wallet: "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826" },
    to: { name: "Bob", wallet: "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB" },
    contents: "Hello, Bob!",
  },
});
export const MAIL_DIGEST = "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2";

// EIP-155's example (eips.ethereum.org/EIPS/eip-155): nonce 9, 20 gwei, 21000 gas, to 0x3535…,
// 1 ether, no data, chain id 1; its signing hash and, with private key 0x4646…46, the signed tx.
export const EIP155_TX = {
  type: "legacy",
  chainId: 1,
  nonce: 9,
  gasPrice: 20_000_000_000n,
  gas: 21_000n,
  to: "0x3535353535353535353535353535353535353535",
  value: 10n ** 18n,
} as const;
export const EIP155_SIGNING_HASH = "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53";
export const EIP155_PRIVATE_KEY = new Uint8Array(32).fill(0x46);
export const EIP155_SIGNED =
  "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83";
