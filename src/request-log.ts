// Every HTTP request: a request id (the caller's X-Request-Id when it is a
// sane one, else a new one; sent back in the response), its metrics
// (src/metrics.ts), and one log line when it ends (docs/operations.md#logs).
import crypto from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { log, withLogContext } from "./log.ts";
import { httpMetrics, operationOf, requestPath } from "./metrics.ts";

export const REQUEST_ID_HEADER = "X-Request-Id";

/** An incoming id we pass on: short, and only characters that cannot forge a log line or a header. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdOf(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given && SANE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** Probes and scrapes come every few seconds: their lines are debug. Other requests: info in production, debug in development (LOG_LEVEL=debug shows them); 5xx always error. */
const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

export function observeRequests(options: { production: boolean }) {
  const measure = httpMetrics((req, res, seconds) => {
    const status = res.statusCode;
    const path = requestPath(req);
    const fields = {
      // Explicit: a response's "finish" may fire outside the request's async context.
      request_id: res.getHeader(REQUEST_ID_HEADER),
      method: req.method,
      // The path only: query strings can carry tokens.
      path,
      status,
      duration_ms: Math.round(seconds * 10_000) / 10,
      operation: operationOf(req),
      ...(res.writableFinished ? {} : { aborted: true }),
    };
    const message = `${req.method} ${path} ${status}`;
    // A failing probe is logged by src/health.ts once per change, not once per probe.
    if (QUIET_PATHS.has(path) && (status < 400 || status === 503)) log.debug(message, fields);
    else if (status >= 500) log.error(message, fields);
    else if (options.production) log.info(message, fields);
    else log.debug(message, fields);
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdOf(req.headers["x-request-id"]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    withLogContext({ request_id: requestId }, () => measure(req, res, next));
  };
}
