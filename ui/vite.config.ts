// Vite builds the webview UI into ui/dist, which Tauri embeds. Only index.html is an entry: the dev-only IPC mock
// (dev/mock.html) is served by `npm run dev` but never reaches the bundle.
import { defineConfig } from "vite";

declare const process: { env: Record<string, string | undefined> };

// `tauri android dev` / `tauri ios dev` set TAURI_DEV_HOST so that a phone can reach the dev server.
const host = process.env.TAURI_DEV_HOST;

export default defineConfig({
  base: "./",
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
    host: host || "127.0.0.1",
    hmr: host ? { protocol: "ws", host, port: 1421 } : undefined,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    sourcemap: false,
    // One small chunk: no module-preload polyfill (it would only add bytes).
    modulePreload: { polyfill: false },
    // Nothing inlined as data: URLs; the CSP allows data: images only.
    assetsInlineLimit: 0,
  },
});
