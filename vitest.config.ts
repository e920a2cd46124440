import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/setup/database.ts", "test/setup/web.ts"],
    // Each test file gets its own database cloned from a migrated template.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 90_000,
    env: { GRAPHILE_ENV: "development" },
    reporters: ["default", "./test/setup/summary-reporter.ts"],
  },
});
