// Vite: the page as static files (dist/, relative paths so any host and sub-path serves them).
// `npm run dev` / `npm run preview` also serve /chain.json from the local chain's JSON named by
// MPC_LOCAL_CHAIN_JSON (its public fields only: no mnemonic reaches the page).
import { readFileSync } from "node:fs";
import { defineConfig, type Plugin } from "vite";
import { publicChainConfig } from "./src/chainConfig.js";

function chainJson(): Plugin {
  const serve = (server: { middlewares: { use(path: string, fn: (req: unknown, res: import("node:http").ServerResponse) => void): void } }) => {
    const path = process.env["MPC_LOCAL_CHAIN_JSON"];
    if (!path) return;
    server.middlewares.use("/chain.json", (_req, res) => {
      try {
        const body = JSON.stringify(publicChainConfig(JSON.parse(readFileSync(path, "utf8"))));
        res.setHeader("content-type", "application/json");
        res.end(body);
      } catch (error) {
        res.statusCode = 500;
        res.end(String(error));
      }
    });
  };
  return { name: "mpc-chain-json", configureServer: serve, configurePreviewServer: serve };
}

export default defineConfig({
  base: "./",
  plugins: [chainJson()],
  // The client package is linked (file:), its dist imports cosmjs: one copy, the page's.
  resolve: {
    dedupe: [
      "@cosmjs/amino",
      "@cosmjs/cosmwasm",
      "@cosmjs/crypto",
      "@cosmjs/encoding",
      "@cosmjs/math",
      "@cosmjs/proto-signing",
      "@cosmjs/stargate",
      "@cosmjs/tendermint-rpc",
      "@cosmjs/utils",
      "@noble/curves",
      "@noble/hashes",
      "cosmjs-types",
    ],
  },
  build: { target: "es2022", sourcemap: true, chunkSizeWarningLimit: 2000 },
});
