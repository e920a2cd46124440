// Builds the web app into web/dist, which the API server serves at / (src/web.ts).
// `npm run dev:web` serves it with hot reload, proxying the API to a running
// `npm start` (API_URL, default http://127.0.0.1:5678).
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const api = process.env.API_URL ?? "http://127.0.0.1:5678";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    // The charts (Recharts) load with the dashboard only: CampaignCharts is
    // imported with React.lazy, so the bundler splits it and its libraries off.
  },
  server: {
    proxy: Object.fromEntries(
      ["/graphql", "/imports", "/healthz", "/graphiql", "/ruru-static"].map((path) => [path, { target: api, ws: true }]),
    ),
  },
});
