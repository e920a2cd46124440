// The accounts part of an Instantly sync run (see src/sources/instantly/sync.ts).
import type { Task } from "graphile-worker";
import { runResourceJob } from "../src/sources/instantly/sync.ts";

const task: Task = (payload, helpers) => runResourceJob("accounts", payload, helpers);

export default task;
