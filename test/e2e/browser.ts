// Headless Chromium driven by playwright-core: Debian's chromium package
// (CHROMIUM_PATH overrides), since no tool may download a browser of its own.
// Each page records console errors and uncaught exceptions; a failing test
// leaves a screenshot in .scratch/e2e/ (ignored by git).
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, onTestFailed } from "vitest";
import { CHROMIUM_PATH, launchChromium } from "../../web/chromium.ts";

export const chromiumMissing = !existsSync(CHROMIUM_PATH);
if (chromiumMissing && process.env.CI)
  throw new Error(`Chromium not found at ${CHROMIUM_PATH}: CI must install it (apt-get install -y chromium; .ci/run does).`);
if (chromiumMissing)
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);

let browser: Browser | undefined;

export async function launchBrowser(): Promise<Browser> {
  browser ??= await launchChromium();
  afterAll(async () => {
    await browser?.close();
    browser = undefined;
  });
  return browser;
}

export interface TestPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
}

const SCREENSHOTS = path.resolve(".scratch/e2e");

/** A fresh browser context (own storage) and page; screenshot on failure. */
export async function openPage(baseUrl: string, options: { viewport?: { width: number; height: number } } = {}): Promise<TestPage> {
  const context = await (
    await launchBrowser()
  ).newContext({ baseURL: baseUrl, viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`exception: ${error.message}`));
  onTestFailed(async ({ task }) => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const file = path.join(SCREENSHOTS, `${task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 80)}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    console.error(`screenshot of the failing page: ${file}`);
  });
  return { page, context, errors };
}
