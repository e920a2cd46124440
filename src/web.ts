// The web app (web/, built into web/dist by `npm install`) served next to the
// API on the same origin. Paths the API owns never fall back to the app, so an
// unknown API path still answers as the API does.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";

export const WEB_DIST = fileURLToPath(new URL("../web/dist", import.meta.url));

/** First path segments that belong to the API, not to the app's routes (POST /imports is the API; GET /imports the app). */
const API_PATHS = /^\/(graphql|graphiql|ruru-static|webhooks|healthz|metrics)(\/|$)/;

export function webAppBuilt(distDir = WEB_DIST): boolean {
  return existsSync(path.join(distDir, "index.html"));
}

/** Serves the built app, or returns undefined when it is not built (API only). */
export function webRouter(distDir = WEB_DIST): express.Router | undefined {
  if (!webAppBuilt(distDir)) return undefined;
  const index = path.join(distDir, "index.html");
  const router = express.Router();
  // Hashed file names: cache forever; a missing asset is a 404, not the app.
  router.use("/assets", express.static(path.join(distDir, "assets"), { immutable: true, maxAge: "1y", fallthrough: false }));
  router.use(express.static(distDir, { index: false, maxAge: 0 }));
  // Deep links (/leads/<id>, also ids or names with dots) get the app, which routes in the browser.
  router.get("/{*path}", (req, res, next) => {
    if (API_PATHS.test(req.path) || !req.accepts("html")) return next();
    res.set("Cache-Control", "no-cache").sendFile(index);
  });
  return router;
}
