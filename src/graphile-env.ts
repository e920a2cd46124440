// Grafast reads GRAPHILE_ENV once, when it is first imported: set its default
// here, in a module src/cli.ts imports before any other (imports run before
// the importing module's own code, so an assignment in cli.ts came too late
// once one of its imports pulled in grafast).
process.env.GRAPHILE_ENV ??= process.env.NODE_ENV === "production" ? "production" : "development";
