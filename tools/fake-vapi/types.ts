// The shapes the fake VAPI serves: the fields of VAPI's Call and webhook messages
// that an integration reads (docs/sources/vapi-fake.md). Own types, no dependency on src/.

export type CallStatus = "scheduled" | "queued" | "ringing" | "in-progress" | "forwarding" | "ended" | "not-found" | "deletion-failed";

export type CallType = "inboundPhoneCall" | "outboundPhoneCall" | "webCall" | "vapi.websocketCall";

export interface Customer {
  number?: string;
  numberE164CheckEnabled?: boolean;
  name?: string;
  email?: string;
  /** At most 40 characters. */
  externalId?: string;
  extension?: string;
  sipUri?: string;
  assistantOverrides?: Record<string, unknown>;
}

export interface SchedulePlan {
  earliestAt: string;
  latestAt?: string;
}

/** A user or bot turn (VAPI also has system and tool messages; the system one comes first). */
export interface ArtifactMessage {
  role: "system" | "bot" | "user";
  message: string;
  /** Unix ms. */
  time: number;
  endTime?: number;
  secondsFromStart: number;
  /** Ms. */
  duration?: number;
  source?: string;
}

export interface Recording {
  mono: { combinedUrl: string; assistantUrl: string; customerUrl: string };
  stereoUrl: string;
}

export interface Artifact {
  messages: ArtifactMessage[];
  messagesOpenAIFormatted: { role: "system" | "assistant" | "user"; content: string }[];
  transcript?: string;
  recording?: Recording;
  /** Deprecated in VAPI, still sent; equal to recording.mono.combinedUrl. */
  recordingUrl?: string;
  stereoRecordingUrl?: string;
  logUrl?: string;
  variableValues?: Record<string, unknown>;
  /** Presigned URLs: freshly signed on every read (GET and webhook), never stored. */
  presignedMonoUrl?: string;
  presignedStereoUrl?: string;
  presignedUrlsExpiresAt?: string;
}

export interface Analysis {
  summary?: string;
  structuredData?: Record<string, unknown>;
  structuredDataMulti?: Record<string, unknown>[];
  /** A string whatever the rubric ("true" / "false" here: PassFail). */
  successEvaluation?: string;
}

export interface CostItem {
  type: "transport" | "transcriber" | "model" | "voice" | "vapi" | "voicemail-detection" | "analysis" | "knowledge-base";
  cost: number;
  minutes?: number;
  [key: string]: unknown;
}

export interface CostBreakdown {
  transport: number;
  stt: number;
  llm: number;
  tts: number;
  vapi: number;
  analysisCostBreakdown?: Record<string, number>;
  total: number;
  llmPromptTokens?: number;
  llmCompletionTokens?: number;
  ttsCharacters?: number;
}

export interface PhoneNumber {
  id: string;
  orgId: string;
  number: string;
  provider: "twilio";
  name: string;
  status: "active";
  createdAt: string;
  updatedAt: string;
}

export interface SubscriptionLimits {
  concurrencyBlocked: boolean;
  concurrencyLimit: number;
  remainingConcurrentCalls: number;
}

export interface Call {
  id: string;
  orgId: string;
  createdAt: string;
  updatedAt: string;
  type: CallType;
  status: CallStatus;
  endedReason?: string;
  endedMessage?: string;
  startedAt?: string;
  endedAt?: string;
  cost?: number;
  costs?: CostItem[];
  costBreakdown?: CostBreakdown;
  customer?: Customer;
  phoneNumberId?: string;
  assistantId?: string;
  assistant?: Record<string, unknown>;
  assistantOverrides?: Record<string, unknown>;
  squadId?: string;
  workflowId?: string;
  name?: string;
  schedulePlan?: SchedulePlan;
  phoneCallProvider?: "twilio";
  phoneCallTransport?: "pstn";
  /** Twilio's callSid, from ringing on. */
  phoneCallProviderId?: string;
  monitor?: { listenUrl: string; controlUrl: string };
  artifact?: Artifact;
  analysis?: Analysis;
  /** Only on the POST /call answer. */
  subscriptionLimits?: SubscriptionLimits;
}

export interface CallBatchError {
  customer: Customer;
  error: string;
}

export interface CallBatchResponse {
  results: Call[];
  errors: CallBatchError[];
  subscriptionLimits: SubscriptionLimits;
}

/** The body VAPI POSTs to the server URL. */
export interface ServerMessageEnvelope {
  message: ServerMessage;
}

export interface ServerMessage {
  type: "status-update" | "end-of-call-report";
  /** Unix ms. */
  timestamp: number;
  call: Call;
  customer?: Customer;
  phoneNumber?: PhoneNumber;
  [key: string]: unknown;
}
