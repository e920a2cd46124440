// What happens to a fake call: its outcome (by the last two digits of the customer's
// number), the timeline of its status changes on the fake clock, and what the call
// leaves behind (messages, transcript, recording, analysis, costs), all drawn from a
// per-call seeded RNG so a call's content does not depend on what else is running.
import crypto from "node:crypto";
import type { Rng } from "../fake-instantly/data.ts";
import type { Analysis, Artifact, ArtifactMessage, Call, CallStatus, CostBreakdown, CostItem, Recording } from "./types.ts";

const SECOND = 1000;

export const CONCURRENCY_LIMIT_REACHED = "call.start.error-subscription-concurrency-limit-reached";

export interface Outcome {
  endedReason: string;
  endedMessage?: string;
  /** Seconds in "ringing" (0: never rings). */
  ring: [number, number];
  /** Seconds "in-progress" (0: never answered). */
  talk: [number, number];
  conversation: "full" | "voicemail" | "greeting" | "exchange" | "none";
  /** Whether the assistant ends the call (last message from the bot). */
  botEnds?: boolean;
  successEvaluation?: string;
}

const ANSWERED: Outcome = {
  endedReason: "customer-ended-call",
  ring: [4, 8],
  talk: [30, 90],
  conversation: "full",
  successEvaluation: "true",
};

/** The outcomes by the last two digits of the customer's number (docs/sources/vapi-fake.md); anything else is answered. */
export const OUTCOMES: Record<string, Outcome> = {
  "01": ANSWERED,
  "02": { endedReason: "customer-did-not-answer", ring: [25, 30], talk: [0, 0], conversation: "none" },
  "03": { endedReason: "voicemail", ring: [15, 20], talk: [15, 25], conversation: "voicemail", successEvaluation: "false" },
  "04": { endedReason: "customer-busy", ring: [2, 4], talk: [0, 0], conversation: "none" },
  "05": {
    endedReason: "pipeline-error-openai-llm-failed",
    endedMessage: "An error occurred in this call: the model request to OpenAI failed.",
    ring: [4, 8],
    talk: [3, 8],
    conversation: "greeting",
  },
  "06": { endedReason: "twilio-reported-customer-misdialed", ring: [0, 0], talk: [0, 0], conversation: "none" },
  "07": { ...ANSWERED, endedReason: "assistant-ended-call", botEnds: true },
  "08": { endedReason: "manually-canceled", ring: [2, 4], talk: [0, 0], conversation: "none" },
  "09": { endedReason: "call.in-progress.error-new-thing", ring: [4, 8], talk: [10, 20], conversation: "exchange" },
};

export function outcomeFor(number: string | undefined): Outcome {
  const digits = (number ?? "").replace(/\D/g, "");
  return OUTCOMES[digits.slice(-2)] ?? ANSWERED;
}

/** The call that could not start: over the concurrency limit. */
export const BLOCKED: Outcome = { endedReason: CONCURRENCY_LIMIT_REACHED, ring: [0, 0], talk: [0, 0], conversation: "none" };

/** A seeded RNG per call (FNV-1a of seed and id), independent of creation order. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const between = (rng: Rng, [min, max]: [number, number]) => Math.round((min + rng() * (max - min)) * SECOND);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;
export const iso = (ms: number) => new Date(ms).toISOString();

/** A status change at fake time `at` (Unix ms). */
export interface Transition {
  at: number;
  status: CallStatus;
}

/** Everything decided when a call starts (enters "queued"). */
export interface Script {
  outcome: Outcome;
  transitions: Transition[];
  startedAt?: number;
  endedAt: number;
  /** When post-call processing is done: analysis on the call and the end-of-call-report. */
  processedAt: number;
  messages: ArtifactMessage[];
  transcript?: string;
  recording?: Recording;
  logUrl: string;
  analysis: Analysis;
  cost: number;
  costs: CostItem[];
  costBreakdown: CostBreakdown;
}

interface Names {
  first: string;
  company: string;
  offer: string;
}

function namesOf(call: Call): Names {
  const variables = (call.assistantOverrides?.variableValues ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined);
  return {
    first: text(variables.firstName) ?? text(call.customer?.name)?.split(/\s+/)[0] ?? "there",
    company: text(variables.company) ?? "your team",
    offer: text(variables.offer) ?? "keeping outreach in one place",
  };
}

function lines(outcome: Outcome, names: Names, rng: Rng): { role: "bot" | "user"; message: string }[] {
  const { first, company, offer } = names;
  const greeting = {
    role: "bot" as const,
    message: `Hi ${first}, this is Alex from Leadgraph. I emailed you about ${offer}. Do you have a minute?`,
  };
  switch (outcome.conversation) {
    case "none":
      return [];
    case "greeting":
      return [greeting];
    case "exchange":
      return [greeting, { role: "user", message: pick(rng, ["Sure, go ahead.", "Who is this?", "Okay, quickly."]) }];
    case "voicemail":
      return [
        { role: "user", message: `Hi, you've reached ${first}. Please leave a message after the tone.` },
        {
          role: "bot",
          message: `Hi ${first}, this is Alex from Leadgraph following up on my email about ${offer}. I'll try you again later.`,
        },
      ];
    case "full": {
      const all: { role: "bot" | "user"; message: string }[] = [
        greeting,
        { role: "user", message: pick(rng, ["Sure, go ahead.", "Yes, I have a couple of minutes.", "Okay, what is it about?"]) },
        {
          role: "bot",
          message: `We help teams like ${company} keep every lead's emails and calls in one place. How do you track outreach today?`,
        },
        {
          role: "user",
          message: pick(rng, [
            "Mostly in spreadsheets, honestly.",
            "We use a CRM, but calls are not in it.",
            "Each rep does it their own way.",
          ]),
        },
        { role: "bot", message: "That's what we hear a lot. Would a twenty-minute demo next week be useful?" },
        {
          role: "user",
          message: pick(rng, ["Yes, Tuesday afternoon works.", "Send me some times by email.", "Maybe, send me more details first."]),
        },
        { role: "bot", message: `Great, I'll send that by email. Thanks for your time, ${first}.` },
      ];
      all.push(outcome.botEnds ? { role: "bot", message: "Goodbye!" } : { role: "user", message: "Thanks, bye." });
      return all;
    }
  }
}

function summaryOf(outcome: Outcome, names: Names, messages: ArtifactMessage[]): string | undefined {
  if (outcome.conversation === "voicemail") return `The call reached ${names.first}'s voicemail; the assistant left a short message.`;
  if (outcome.conversation !== "full") return undefined;
  const answer = messages.filter((m) => m.role === "user")[2]?.message ?? "";
  const next = answer.startsWith("Yes")
    ? "agreed to a demo on Tuesday afternoon"
    : answer.startsWith("Send me some")
      ? "asked for demo times by email"
      : "asked for more details by email before a demo";
  return `Alex called ${names.first} about ${names.offer}. ${names.first} ${next}.`;
}

function costsOf(
  seconds: number,
  ringSeconds: number,
  analysed: boolean,
  rng: Rng,
): { cost: number; costs: CostItem[]; breakdown: CostBreakdown } {
  const minutes = round(seconds / 60);
  const ringMinutes = round(ringSeconds / 60);
  const promptTokens = Math.round(seconds * (40 + rng() * 20));
  const completionTokens = Math.round(seconds * (4 + rng() * 4));
  const characters = Math.round(seconds * 12);
  const transport = round((minutes + ringMinutes) * 0.0085);
  const stt = round(minutes * 0.01);
  const llm = round(promptTokens * 0.0000025 + completionTokens * 0.00001);
  const tts = round(characters * 0.00003);
  const vapi = round(minutes * 0.05);
  const analysis = analysed ? round(0.0008 + rng() * 0.0006) : 0;
  const costs: CostItem[] = [
    { type: "transport", provider: "twilio", minutes: round(minutes + ringMinutes), cost: transport },
    { type: "transcriber", transcriber: { provider: "deepgram", model: "nova-2" }, minutes, cost: stt },
    { type: "model", model: { provider: "openai", model: "gpt-4o" }, promptTokens, completionTokens, cost: llm },
    { type: "voice", voice: { provider: "11labs", voiceId: "burt" }, characters, cost: tts },
    { type: "vapi", subType: "normal", minutes, cost: vapi },
  ];
  if (analysed) costs.push({ type: "analysis", analysisType: "summary", model: { provider: "openai", model: "gpt-4o" }, cost: analysis });
  const total = round(transport + stt + llm + tts + vapi + analysis);
  return {
    cost: total,
    costs: seconds > 0 ? costs : costs.slice(0, 1),
    breakdown: {
      transport,
      stt,
      llm,
      tts,
      vapi,
      ...(analysed ? { analysisCostBreakdown: { summary: analysis } } : {}),
      total,
      llmPromptTokens: promptTokens,
      llmCompletionTokens: completionTokens,
      ttsCharacters: characters,
    },
  };
}

function hex(rng: Rng, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += Math.floor(rng() * 16).toString(16);
  return out;
}

/** The whole life of a call that enters "queued" at `start` (Unix ms, fake clock). */
export function scriptFor(call: Call, outcome: Outcome, start: number, rng: Rng): Script {
  const transitions: Transition[] = [];
  let t = start;
  if (call.type !== "inboundPhoneCall") transitions.push({ at: t, status: "queued" });
  let startedAt: number | undefined;
  const ring = between(rng, outcome.ring);
  if (outcome.ring[1] > 0) {
    t += call.type === "inboundPhoneCall" ? 0 : 2 * SECOND;
    transitions.push({ at: t, status: "ringing" });
    startedAt = t;
    t += ring;
  } else {
    t += outcome === BLOCKED ? SECOND / 2 : 2 * SECOND;
  }
  const talk = between(rng, outcome.talk);
  if (outcome.talk[1] > 0) {
    transitions.push({ at: t, status: "in-progress" });
    startedAt = t;
    t += talk;
  }
  // A misdialed number is reported without ringing; it still "started".
  if (startedAt === undefined && outcome !== BLOCKED) startedAt = t;
  const endedAt = t;
  transitions.push({ at: endedAt, status: "ended" });

  const names = namesOf(call);
  const turns = lines(outcome, names, rng);
  const messages: ArtifactMessage[] = [];
  if (outcome.talk[1] > 0 && startedAt !== undefined) {
    messages.push({
      role: "system",
      message: "You are Alex, a friendly sales assistant for Leadgraph.",
      time: startedAt,
      secondsFromStart: 0,
    });
    const gap = talk / Math.max(1, turns.length);
    turns.forEach((turn, i) => {
      const time = Math.round(startedAt! + i * gap + 300 + rng() * 400);
      const duration = Math.round(Math.min(gap * 0.8, 600 + turn.message.length * 55));
      messages.push({
        role: turn.role,
        message: turn.message,
        time,
        endTime: time + duration,
        secondsFromStart: round((time - startedAt!) / SECOND, 2),
        duration,
        ...(turn.role === "bot" ? { source: "" } : {}),
      });
    });
  }
  const transcript =
    turns.length > 0 && messages.length > 0
      ? turns.map((turn) => `${turn.role === "bot" ? "AI" : "User"}: ${turn.message}`).join("\n") + "\n"
      : undefined;

  const base = `https://storage.vapi.ai/${call.id}-${start}-${hex(rng, 8)}`;
  const recording: Recording | undefined =
    outcome.talk[1] > 0
      ? {
          mono: { combinedUrl: `${base}-mono.wav`, assistantUrl: `${base}-assistant.wav`, customerUrl: `${base}-customer.wav` },
          stereoUrl: `${base}-stereo.wav`,
        }
      : undefined;

  const summary = summaryOf(outcome, names, messages);
  const analysis: Analysis = {
    ...(summary !== undefined ? { summary } : {}),
    ...(outcome.successEvaluation !== undefined ? { successEvaluation: outcome.successEvaluation } : {}),
  };
  const analysed = summary !== undefined;
  const processedAt = endedAt + (analysed ? between(rng, [5, 12]) : between(rng, [1, 2]));
  const blocked = outcome === BLOCKED;
  const { cost, costs, breakdown } = blocked
    ? { cost: 0, costs: [], breakdown: { transport: 0, stt: 0, llm: 0, tts: 0, vapi: 0, total: 0 } }
    : costsOf(talk / SECOND, outcome.ring[1] > 0 ? ring / SECOND : 0, analysed, rng);
  return {
    outcome,
    transitions,
    ...(startedAt !== undefined ? { startedAt } : {}),
    endedAt,
    processedAt,
    messages,
    ...(transcript !== undefined ? { transcript } : {}),
    ...(recording ? { recording } : {}),
    logUrl: `https://calllogs.vapi.ai/${call.orgId}/${call.id}/${start}/log.jsonl.gz`,
    analysis,
    cost,
    costs,
    costBreakdown: breakdown,
  };
}

const openAiRole = (role: ArtifactMessage["role"]) => (role === "bot" ? "assistant" : role);

/** The live artifact at a status: empty until the call ends, complete from then on. */
export function artifactAt(script: Script, status: CallStatus, call: Call): Artifact {
  const variableValues = (call.assistantOverrides?.variableValues ?? undefined) as Record<string, unknown> | undefined;
  if (status !== "ended") {
    const live = status === "in-progress" ? script.messages.slice(0, 1) : [];
    return {
      messages: live,
      messagesOpenAIFormatted: live.map((m) => ({ role: openAiRole(m.role), content: m.message })),
      ...(variableValues ? { variableValues } : {}),
    };
  }
  return {
    messages: script.messages,
    messagesOpenAIFormatted: script.messages.map((m) => ({ role: openAiRole(m.role), content: m.message })),
    ...(script.transcript !== undefined ? { transcript: script.transcript } : {}),
    ...(script.recording
      ? { recording: script.recording, recordingUrl: script.recording.mono.combinedUrl, stereoRecordingUrl: script.recording.stereoUrl }
      : {}),
    logUrl: script.logUrl,
    ...(variableValues ? { variableValues } : {}),
  };
}

/**
 * A copy of the call with freshly presigned recording URLs: a new signature and
 * expiry on every read, as VAPI's "differ across retries" (the stable *Url fields stay).
 */
export function withPresignedUrls<T extends { artifact?: Artifact }>(value: T, issuedAt: number, nonce: string): T {
  const artifact = value.artifact;
  if (!artifact?.recording) return value;
  const expires = issuedAt + 3600 * SECOND;
  const date = iso(issuedAt).replace(/[-:]|\.\d{3}/g, "");
  const sign = (url: string) => {
    const signature = crypto.createHash("sha256").update(`${url} ${nonce}`).digest("hex");
    return `${url}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${date}&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=${signature}`;
  };
  return {
    ...value,
    artifact: {
      ...artifact,
      presignedMonoUrl: sign(artifact.recording.mono.combinedUrl),
      presignedStereoUrl: sign(artifact.recording.stereoUrl),
      presignedUrlsExpiresAt: iso(expires),
    },
  };
}

// ------------------------------------------------------------ seeded history

const FIRST_NAMES = ["Ana", "Ben", "Chloé", "David", "Elif", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemi", "Lars", "Mina", "Noah"];
const LAST_NAMES = ["Almeida", "Berger", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hansen", "Ito", "Jensen", "Kowalski"];
const COMPANIES = ["Northwind", "Globex", "Initech", "Umbrella Labs", "Hooli", "Stark Freight", "Wayne Analytics", "Acme Tools"];
/** Suffixes of the historical calls, weighted like a real campaign: mostly answered or not answered. */
const HISTORY_SUFFIXES = ["01", "01", "01", "01", "07", "07", "02", "02", "02", "03", "03", "04", "05", "06", "08", "11", "23"];

/** A plausible outbound customer for a historical call (number in the +1 415 555 range, outcome by suffix). */
export function historicalCustomer(rng: Rng, index: number): { customer: Call["customer"]; variableValues: Record<string, string> } {
  const first = pick(rng, FIRST_NAMES);
  const last = pick(rng, LAST_NAMES);
  const company = pick(rng, COMPANIES);
  const suffix = pick(rng, HISTORY_SUFFIXES);
  const number = `+1415555${String(index % 100).padStart(2, "0")}${suffix}`;
  return { customer: { number, name: `${first} ${last}` }, variableValues: { firstName: first, company } };
}
