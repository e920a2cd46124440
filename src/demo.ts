// `leadgraph demo`: fills an empty database with a realistic workspace
// through the paths real data takes, so every page of the web app has
// something to show (docs/demo.md):
//
// 1. an Apollo-like CSV export, generated here (names in several languages
//    and scripts, companies shared by several people, a few bad rows and
//    duplicates), stored by uploadCsv(), the code of `leadgraph import`,
//    enrolled in the example campaign;
// 2. the fake Instantly workspace (tools/fake-instantly/, started in this
//    process on a free port) fetched by the Instantly sync's own resource
//    code, plus a few of its webhook deliveries (storeWebhook(), the write
//    path of POST /webhooks/instantly); some of its people are in the CSV
//    too, so their timelines mix sources;
// 3. a few notes and status changes by the default user, as the API makes
//    them (the visitor role, its grants and policies, set_lead_status()).
//
// Normalisation is the worker's: this command runs a worker for the two
// normalisers while it works, beside any other (`npm start`'s may take jobs
// too: they share the queue safely). The sync's fetching runs here, not as
// queued jobs: another worker would run those with its own Instantly
// settings (your real workspace, or none), not against the fake.
//
// This is the one command that loads a development tool (the fake Instantly
// server, and its seeded random numbers for the CSV), and only when it runs.
import { Readable } from "node:stream";
import { createRng, type Rng } from "../tools/fake-instantly/data.ts";
import pg from "pg";
import { DEFAULT_USER_ID } from "./auth.ts";
import type { Config } from "./config.ts";
import type { Database } from "./database/index.ts";
import { LOCKS, withSessionLock } from "./database/locks.ts";
import { VISITOR_ROLE } from "./database/roles.ts";
import { inTransaction } from "./database/transaction.ts";
import { pollUntil } from "./progress.ts";
import { uploadCsv } from "./sources/csv/upload.ts";
import { InstantlyAuthError, InstantlyClient } from "./sources/instantly/api/client.ts";
import { RateLimiter } from "./sources/instantly/api/rate-limiter.ts";
import { storeWebhook } from "./sources/instantly/raw.ts";
import { syncAccounts } from "./sources/instantly/sync/accounts.ts";
import { syncCampaigns } from "./sources/instantly/sync/campaigns.ts";
import { syncDailyAnalytics } from "./sources/instantly/sync/daily-analytics.ts";
import { syncEmails } from "./sources/instantly/sync/emails.ts";
import { syncLeads } from "./sources/instantly/sync/leads.ts";
import type { ResourceWork } from "./sources/instantly/sync/resource.ts";
import { failResource, failRun, finishRunIfDone, RESOURCES, type Db, type SyncResource } from "./sources/instantly/sync/run.ts";
import { VapiClient } from "./sources/vapi/api/client.ts";
import { placeCalls } from "./sources/vapi/calls/place.ts";
import { scheduleDueCalls } from "./sources/vapi/calls/schedule.ts";
import { runVapiSync } from "./sources/vapi/sync/run.ts";
import { makeTasks, startWorker } from "./worker.ts";

/** The example campaign of migration 000007: the CSV's people are enrolled in it. */
export const EXAMPLE_CAMPAIGN_ID = "00000000-0000-0000-0000-000000000007";
const FAKE_API_KEY = "leadgraph-demo";
const FILE_NAME = "apollo-contacts-export.csv";
const SEED = 20_261_202;

export const DEMO_SIZES = {
  /** A quick look (and the tests): about 60 CSV rows, 2 campaigns, 150 emails. */
  small: { csvRows: 60, shared: 10, campaigns: 2, accounts: 2, emails: 150 },
  /** About 400 CSV rows, 4 Instantly campaigns, 2,000 emails to some 900 people. */
  normal: { csvRows: 400, shared: 50, campaigns: 4, accounts: 4, emails: 2000 },
} as const;
export type DemoSize = keyof typeof DEMO_SIZES;

export interface DemoOptions {
  force?: boolean;
  size?: string;
  /** Registers what to stop if the process is told to stop meanwhile (the CLI's shutdown). */
  onStop?: (name: string, stop: () => Promise<void>) => void;
}

/** `stop` run once, however many ask for it. */
function once(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stop());
}

const log = (message: string) => console.error(`leadgraph: ${message}`);

// ------------------------------------------------------------------ the CSV

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const hex = (rng: Rng, length: number) => Array.from({ length }, () => Math.floor(rng() * 16).toString(16)).join("");

/** ASCII for an email address or a URL slug: José -> jose, Łukasz -> lukasz, Straße -> strasse. */
export function ascii(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/ß/g, "ss")
    .replace(/æ/g, "ae")
    .replace(/œ/g, "oe")
    .replace(/þ/g, "th")
    .replace(/[øł]/g, (ch) => (ch === "ø" ? "o" : "l"))
    .replace(/[đð]/g, "d")
    .replace(/ı/g, "i")
    .replace(/[^a-z0-9]+/g, "");
}

/**
 * People and companies by country. A name outside the Latin script carries
 * its transliteration after a "|" (for the email address and the LinkedIn
 * slug); a company is "name|industry|employees|city".
 */
interface Region {
  country: string;
  tld: string;
  phone: string;
  first: string[];
  last: string[];
  companies: string[];
}
// prettier-ignore
const REGIONS: Region[] = [
  { country: "Germany", tld: "de", phone: "+49 30", first: ["Jürgen", "Lena", "Maximilian", "Sophie", "Jörg", "Anika", "Björn", "Käthe"],
    last: ["Müller", "Schröder", "Weiß", "Groß", "Becker", "Hoffmann", "Krüger", "Schäfer"],
    companies: ["Müller Logistik GmbH|logistics & supply chain|240|Hamburg", "Schwarzwald Solar AG|renewables & environment|85|Freiburg",
                "Nordlicht Software GmbH|computer software|32|Berlin"] },
  { country: "France", tld: "fr", phone: "+33 1", first: ["Élodie", "François", "Chloé", "Hélène", "Jérôme", "Amélie", "Noël", "Maëlle"],
    last: ["Lefèvre", "Dubois", "Moreau", "Girard", "Fournier", "Bérubé", "Lemaître", "Chevalier"],
    companies: ["Société Générale d'Études|management consulting|410|Paris", "Café Crème Studio|marketing & advertising|12|Lyon",
                "Énergie Saint-Étienne|renewables & environment|150|Saint-Étienne"] },
  { country: "Spain", tld: "es", phone: "+34 91", first: ["José", "María", "Iñaki", "Lucía", "Sofía", "Andrés", "Begoña", "Ramón"],
    last: ["García", "Martínez", "Núñez", "Peña", "Ibáñez", "Muñoz", "Gómez", "Fernández"],
    companies: ["Viñedos Peñalba|wine & spirits|60|Valladolid", "Logística Ibérica SL|logistics & supply chain|320|Madrid",
                "Señal Digital|information technology & services|45|Barcelona"] },
  { country: "Brazil", tld: "com.br", phone: "+55 11", first: ["João", "Conceição", "Gonçalo", "Lívia", "Otávio", "Luíza"],
    last: ["Souza", "Araújo", "Gonçalves", "Conceição", "Brandão", "Magalhães"],
    companies: ["Corpão Fitness|health, wellness & fitness|18|São Paulo", "Açaí Brasil Alimentos|food & beverages|700|Belém"] },
  { country: "Poland", tld: "pl", phone: "+48 22", first: ["Łukasz", "Małgorzata", "Paweł", "Zofia", "Wojciech", "Agnieszka", "Michał"],
    last: ["Wiśniewski", "Kowalczyk", "Zieliński", "Wójcik", "Dąbrowski", "Lewandowski", "Żak"],
    companies: ["Łódź Software House|computer software|95|Łódź", "Gdańsk Żegluga|maritime|210|Gdańsk"] },
  { country: "Sweden", tld: "se", phone: "+46 8", first: ["Åsa", "Björn", "Ingrid", "Märta", "Sören", "Linnéa"],
    last: ["Åkesson", "Lindqvist", "Bergström", "Nyström", "Öberg", "Ståhl"],
    companies: ["Åkesson Bygg AB|construction|130|Göteborg", "Bergström Analytics|information technology & services|27|Stockholm"] },
  { country: "Denmark", tld: "dk", phone: "+45 33", first: ["Søren", "Øystein", "Mette", "Ærø", "Jørgen"], last: ["Ødegaard", "Sørensen", "Jørgensen", "Møller", "Kjær"],
    companies: ["Øresund Robotics ApS|machinery|55|København"] },
  { country: "Greece", tld: "gr", phone: "+30 21", first: ["Γιώργος|giorgos", "Ελένη|eleni", "Νίκος|nikos", "Μαρία|maria", "Δημήτρης|dimitris", "Σοφία|sofia"],
    last: ["Παπαδόπουλος|papadopoulos", "Οικονόμου|oikonomou", "Γεωργίου|georgiou", "Νικολάου|nikolaou", "Αλεξίου|alexiou"],
    companies: ["Αθηνά Logistics|logistics & supply chain|75|Αθήνα", "Kalamata Olive Co.|food & beverages|40|Καλαμάτα"] },
  { country: "Bulgaria", tld: "bg", phone: "+359 2", first: ["Алёна|alyona", "Дмитрий|dmitriy", "Ольга|olga", "Сергей|sergey", "Наталья|natalya", "Игорь|igor"],
    last: ["Кузнецова|kuznetsova", "Иванов|ivanov", "Петрова|petrova", "Смирнов|smirnov", "Попова|popova"],
    companies: ["Звезда Софт|computer software|66|София", "Balkan Freight|logistics & supply chain|180|Пловдив"] },
  { country: "Turkey", tld: "com.tr", phone: "+90 212", first: ["Ünal", "Çağla", "Şule", "Gökhan", "İlker", "Özge"], last: ["Yılmaz", "Öztürk", "Çelik", "Şahin", "Doğan", "Aydın"],
    companies: ["Ünal Tekstil A.Ş.|textiles|520|İstanbul", "Çınar Yazılım|information technology & services|38|Ankara"] },
  { country: "Japan", tld: "jp", phone: "+81 3", first: ["陽翔|haruto", "結衣|yui", "Sota", "Aoi", "Ren"], last: ["佐藤|sato", "鈴木|suzuki", "Takahashi", "Tanaka", "Watanabe"],
    companies: ["中村製作所|machinery|900|大阪", "Sakura Cloud KK|internet|140|Tokyo"] },
  { country: "United States", tld: "com", phone: "+1 415", first: ["Emily", "Michael", "Jessica", "David", "Ashley", "Chris", "Tyler", "Megan"],
    last: ["Johnson", "Williams", "Brown", "Davis", "Miller", "Wilson", "O'Connor", "Nguyen"],
    companies: ["Redwood Revenue Inc.|computer software|48|San Francisco", "Lone Star Freight|logistics & supply chain|1200|Austin",
                "Brightside Health|hospital & health care|2600|Boston", "Pixel & Pine|marketing & advertising|9|Portland"] },
  { country: "United Kingdom", tld: "co.uk", phone: "+44 20", first: ["Oliver", "Amelia", "Harry", "Isla", "George", "Siobhán"], last: ["Smith", "Taylor", "Evans", "Thomas", "Roberts", "Ó Briain"],
    companies: ["Thames Data Ltd|information technology & services|75|London", "Highland Outdoors|retail|22|Inverness"] },
];

// prettier-ignore
const ROLES: Array<[seniority: string, title: string, department: string]> = [
  ["Founder", "Founder & CEO", "C-Suite"], ["C suite", "Chief Technology Officer", "C-Suite, Engineering & Technical"],
  ["C suite", "Chief Revenue Officer", "C-Suite, Sales"], ["Vp", "VP Sales", "Sales"], ["Vp", "VP Marketing", "Marketing"],
  ["Director", "Director of Operations", "Operations"], ["Head", "Head of Growth", "Marketing"], ["Manager", "Sales Manager", "Sales"],
  ["Manager", "IT Manager", "Information Technology"], ["Senior", "Senior Account Executive", "Sales"], ["Entry", "Sales Development Representative", "Sales"],
  ["Owner", "Owner", "C-Suite"], ["Partner", "Managing Partner", "C-Suite"],
];
const TECHNOLOGIES = [
  "Salesforce",
  "HubSpot",
  "Slack",
  "Google Workspace",
  "Microsoft 365",
  "Zendesk",
  "Shopify",
  "AWS",
  "Stripe",
  "Intercom",
];
const FUNDING = ["", "", "", "Seed", "Series A", "Series B", "Angel", "Venture (Round not Specified)"];

/** The columns of an Apollo export (2025-11 header, the ones people keep when they export a selection). */
const HEADERS = [
  "First Name",
  "Last Name",
  "Title",
  "Company Name",
  "Email",
  "Email Status",
  "Seniority",
  "Departments",
  "Mobile Phone",
  "Corporate Phone",
  "# Employees",
  "Industry",
  "Keywords",
  "Person Linkedin Url",
  "Website",
  "Company Linkedin Url",
  "City",
  "Country",
  "Company City",
  "Company Country",
  "Technologies",
  "Annual Revenue",
  "Total Funding",
  "Latest Funding",
  "Apollo Contact Id",
  "Apollo Account Id",
] as const;
type Row = Partial<Record<(typeof HEADERS)[number], string>>;

interface Company {
  name: string;
  domain: string;
  industry: string;
  employees: number;
  city: string;
  region: Region;
  accountId: string;
  technologies: string;
  funding: string;
}

/** "Γιώργος|giorgos" -> Γιώργος (the name) and giorgos (its ASCII form). */
const display = (name: string) => name.split("|")[0]!;
const transliterated = (name: string) => ascii(name.split("|")[1] ?? name);

function companyRow(company: Company, rng: Rng): Row {
  const slug = ascii(company.name.split(" ")[0]!) || company.domain.split(".")[0]!;
  return {
    "Company Name": company.name,
    "Corporate Phone": `'${company.region.phone} ${1000 + Math.floor(rng() * 9000)} ${100 + Math.floor(rng() * 900)}`,
    "# Employees": String(company.employees),
    Industry: company.industry,
    Keywords: `${company.industry}, b2b, ${company.region.country.toLowerCase()}`,
    Website: `https://${company.domain}`,
    "Company Linkedin Url": `http://www.linkedin.com/company/${slug}-example`,
    "Company City": company.city,
    "Company Country": company.region.country,
    Technologies: company.technologies,
    "Annual Revenue": String(company.employees * 95_000),
    "Total Funding": company.funding ? String(company.employees * 40_000) : "",
    "Latest Funding": company.funding,
    "Apollo Account Id": company.accountId,
  };
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break (as Apollo writes them). */
const cell = (value: string | undefined) => (value === undefined ? "" : /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export interface DemoCsv {
  text: string;
  rows: number;
  companies: number;
  /** People who are in the fake Instantly workspace too. */
  shared: number;
  bad: number;
  duplicates: number;
}

/** The fields of a fake Instantly lead the CSV reuses: its email and what its custom variables say of the person. */
export interface InstantlyPerson {
  email: string;
  companyDomain: string;
  payload: Record<string, unknown>;
}

/** The person GraphiQL's example query asks for (docs/queries/lead-timeline.graphql). */
const JANE_EMAIL = "jane.doe@northwind-example.com";

/**
 * An Apollo-like export of `size` rows: people of REGIONS at companies of
 * REGIONS (a few companies with many people), `instantly` people (their
 * email, names and company as the fake workspace has them), rows Apollo
 * exports without a usable person (a bad email, an empty row, company
 * columns only) and repeated people (an email in other case, a new title).
 */
export function demoCsv(size: DemoSize, instantly: InstantlyPerson[]): DemoCsv {
  const rng = createRng(SEED);
  const { csvRows, shared } = DEMO_SIZES[size];
  const companies: Company[] = REGIONS.flatMap((region) =>
    region.companies.map((spec) => {
      const [name, industry, employees, city] = spec.split("|") as [string, string, string, string];
      const words = name.split(/\s+/).map(ascii).filter(Boolean);
      const base = (
        words.length > 1 && ["gmbh", "ag", "inc", "ltd", "sl", "ab", "aps", "as", "kk", "co"].includes(words.at(-1)!)
          ? words.slice(0, -1)
          : words
      )
        .slice(0, 2)
        .join("-");
      return {
        name,
        domain: `${base || "company" + hex(rng, 4)}-example.${region.tld}`,
        industry,
        employees: Number(employees),
        city,
        region,
        accountId: hex(rng, 24),
        technologies: [pick(rng, TECHNOLOGIES), pick(rng, TECHNOLOGIES), pick(rng, TECHNOLOGIES)]
          .filter((t, i, all) => all.indexOf(t) === i)
          .join(", "),
        funding: pick(rng, FUNDING),
      };
    }),
  );
  // A few companies employ many of the file's people (weight 1/sqrt(rank), ranks shuffled).
  const weights = companies.map((_, i) => 1 / Math.sqrt(1 + ((i * 7) % companies.length)));
  const total = weights.reduce((sum, w) => sum + w, 0);
  const someCompany = () => {
    let x = rng() * total;
    for (let i = 0; i < companies.length; i++) if ((x -= weights[i]!) <= 0) return companies[i]!;
    return companies.at(-1)!;
  };

  const bad = size === "small" ? 3 : 6;
  const duplicates = size === "small" ? 2 : 4;
  // Every address once (Instantly has a lead record per campaign a person is
  // in; Jane's is taken below), generated people's too: the file's only
  // repeats are the `duplicates` below.
  const emails = new Set<string>([JANE_EMAIL]);
  const sharedPeople: InstantlyPerson[] = [];
  for (const person of instantly) {
    if (sharedPeople.length === shared) break;
    const email = person.email.toLowerCase();
    if (emails.has(email)) continue;
    emails.add(email);
    sharedPeople.push(person);
  }
  const generated = Math.max(0, csvRows - sharedPeople.length - bad - duplicates);

  const people: Row[] = [];
  for (let i = 0; i < generated; i++) {
    const company = someCompany();
    // Most people live where their company is.
    const region = rng() < 0.8 ? company.region : pick(rng, REGIONS);
    const first = pick(rng, region.first);
    const last = pick(rng, region.last);
    let local = `${transliterated(first)}.${transliterated(last)}`;
    while (emails.has(`${local}@${company.domain}`)) local += Math.floor(rng() * 10);
    const email = `${local}@${company.domain}`;
    emails.add(email);
    const [seniority, title, departments] = pick(rng, ROLES);
    people.push({
      ...companyRow(company, rng),
      "First Name": display(first),
      "Last Name": display(last),
      Title: title,
      Email: email,
      "Email Status": rng() < 0.85 ? "Verified" : pick(rng, ["Extrapolated", "Unverified", "Likely to engage"]),
      Seniority: seniority,
      Departments: departments,
      "Mobile Phone": rng() < 0.4 ? `'${region.phone} ${10_000_000 + Math.floor(rng() * 89_999_999)}` : "",
      "Person Linkedin Url":
        rng() < 0.75 ? `http://www.linkedin.com/in/${transliterated(first)}-${transliterated(last)}-${hex(rng, 6)}` : "",
      City: region === company.region ? company.city : "",
      Country: region.country,
      "Apollo Contact Id": hex(rng, 24),
    });
  }

  const folded = (payload: Record<string, unknown>, ...names: string[]) => {
    for (const [key, value] of Object.entries(payload)) {
      if (names.includes(key.toLowerCase().replace(/[^a-z]/g, "")) && typeof value === "string" && value.trim()) return value.trim();
    }
    return "";
  };
  const us = REGIONS.find((r) => r.country === "United States")!;
  for (const person of sharedPeople) {
    const [seniority, , departments] = pick(rng, ROLES);
    const company: Company = {
      name: folded(person.payload, "companyname", "company") || person.companyDomain,
      domain: person.companyDomain,
      industry: pick(rng, ["computer software", "information technology & services", "financial services", "logistics & supply chain"]),
      employees: 10 + Math.floor(rng() * 400),
      city: folded(person.payload, "city", "location"),
      region: us,
      accountId: hex(rng, 24),
      technologies: pick(rng, TECHNOLOGIES),
      funding: pick(rng, FUNDING),
    };
    people.push({
      ...companyRow(company, rng),
      Website: folded(person.payload, "website") || `https://${company.domain}`,
      "First Name": folded(person.payload, "firstname"),
      "Last Name": folded(person.payload, "lastname"),
      Title: folded(person.payload, "jobtitle", "title"),
      Email: person.email.toLowerCase(),
      "Email Status": "Verified",
      Seniority: seniority,
      Departments: departments,
      "Mobile Phone": rng() < 0.5 ? `'+1 415 ${1_000_000 + Math.floor(rng() * 8_999_999)}` : "",
      "Person Linkedin Url": folded(person.payload, "linkedin", "linkedinurl"),
      City: company.city,
      Country: "United States",
      "Apollo Contact Id": hex(rng, 24),
    });
  }

  // The person GraphiQL's example query asks for (docs/queries/lead-timeline.graphql).
  // The generated people come first, the Instantly ones after them.
  const jane = people.length - sharedPeople.length - 1;
  if (jane >= 0)
    people[jane] = {
      ...people[jane],
      "First Name": "Jane",
      "Last Name": "Doe",
      Email: JANE_EMAIL,
      "Person Linkedin Url": "https://www.linkedin.com/in/jane-doe-northwind-example",
      "Company Name": "Northwind Traders",
      Website: "https://northwind-example.com",
    };

  // Spread through the file: repeats of earlier people, and rows without a usable person.
  const rows = [...people];
  for (let i = 0; i < duplicates && people.length; i++) {
    const original = people[Math.floor(rng() * Math.min(people.length, 50))]!;
    const at = rows.indexOf(original) + 1 + Math.floor(rng() * (rows.length - rows.indexOf(original)));
    const repeat = i % 2 === 0 ? { ...original, Email: original.Email!.toUpperCase() } : { ...original, Title: `Senior ${original.Title}` };
    rows.splice(at, 0, { ...repeat, "Apollo Contact Id": hex(rng, 24) });
  }
  const broken: Row[] = [
    { ...companyRow(companies[0]!, rng), "First Name": "María", "Last Name": "López", Email: "maria.lopez@@mueller-logistik-example.de" },
    {},
    { ...companyRow(companies[1]!, rng), Title: "Procurement Manager" },
    { ...companyRow(companies[2]!, rng), "First Name": "Jan", "Last Name": "Nowak", Email: "jan.nowak at nordlicht-example.de" },
    {},
    { ...companyRow(companies[3]!, rng), "First Name": "Chloé", "Last Name": "Martin", Email: "chloe.martin@" },
  ].slice(0, bad);
  for (const row of broken) rows.splice(1 + Math.floor(rng() * rows.length), 0, row);

  const lines = [HEADERS.join(","), ...rows.map((row) => HEADERS.map((h) => cell(row[h])).join(","))];
  return {
    text: lines.join("\n") + "\n",
    rows: rows.length,
    companies: new Set(people.map((p) => p["Company Name"])).size,
    shared: sharedPeople.length,
    bad: broken.length,
    duplicates,
  };
}

// ------------------------------------------------------- the Instantly sync

const WORK: Record<SyncResource, ResourceWork> = {
  campaigns: syncCampaigns,
  accounts: syncAccounts,
  daily_analytics: syncDailyAnalytics,
  emails: syncEmails,
  leads: syncLeads,
};

/**
 * One sync run of the workspace at `apiUrl`, its parts one after the other
 * in this process, with the bookkeeping of a worker's run
 * (src/sources/instantly/sync/resource.ts): the run and its parts in
 * instantly_sync_runs / _run_resources with their requests and rows, each
 * part under the lock the worker's jobs take.
 */
async function syncHere(pool: pg.Pool, apiUrl: string): Promise<string> {
  const db: Db = {
    query: (sql, values) => pool.query(sql, values),
    withClient: async (work) => {
      const client = await pool.connect();
      try {
        return await work(client);
      } finally {
        client.release();
      }
    },
  };
  const { rows } = await pool.query<{ id: string }>("insert into instantly_sync_runs (triggered_by) values ('cli') returning id");
  const runId = rows[0]!.id;
  await pool.query("insert into instantly_sync_run_resources (run_id, resource) select $1, unnest($2::text[])", [runId, RESOURCES]);
  let requests = 0;
  let rateLimited = 0;
  const client = new InstantlyClient({
    baseUrl: apiUrl,
    apiKey: FAKE_API_KEY,
    limiter: new RateLimiter(null),
    maxRetries: 2,
    onRequest: ({ status }) => {
      requests++;
      if (status === 429) rateLimited++;
    },
  });
  for (const resource of RESOURCES) {
    const counts = { received: 0, stored: 0, rejected: 0 };
    let flushed = { requests, rateLimited };
    const flush = async () => {
      await pool.query(
        `update instantly_sync_run_resources set requests_made = requests_made + $3, rate_limited = rate_limited + $4,
           rows_received = $5, rows_stored = $6, rows_rejected = $7
         where run_id = $1 and resource = $2`,
        [runId, resource, requests - flushed.requests, rateLimited - flushed.rateLimited, counts.received, counts.stored, counts.rejected],
      );
      flushed = { requests, rateLimited };
    };
    const locked = await db.withClient((lock) =>
      withSessionLock(lock, LOCKS.instantlySyncResource[resource], async () => {
        await pool.query(
          "update instantly_sync_run_resources set status = 'running', started_at = now() where run_id = $1 and resource = $2",
          [runId, resource],
        );
        try {
          await WORK[resource]({ db, runId, client, counts, flush });
          await flush();
          await pool.query(
            `update instantly_sync_run_resources set status = case when rows_rejected > 0 then 'completed_with_errors' else 'completed' end,
               finished_at = now() where run_id = $1 and resource = $2`,
            [runId, resource],
          );
          log(`  ${resource.padEnd(16)} ${counts.stored} stored${counts.rejected ? `, ${counts.rejected} set aside` : ""}`);
        } catch (error) {
          await flush().catch(() => {});
          await failResource(db, runId, resource, (error as Error).message);
          if (error instanceof InstantlyAuthError) await failRun(db, runId, (error as Error).message);
          throw error;
        }
      }),
    );
    if (!locked) {
      await failResource(db, runId, resource, `another ${resource} sync is running`);
      throw new Error(`another Instantly sync of ${resource} is running (a worker's): try again when it is done`);
    }
  }
  await finishRunIfDone(db, runId);
  return runId;
}

// --------------------------------------------------------------- the command

interface Counts {
  leads: number;
  events: number;
  companies: number;
  imports: number;
  instantly: number;
  campaigns: number;
}

/** What is there besides the rows the migrations seed (the default user, the example offer and campaign). */
async function existingData(pool: pg.Pool): Promise<Counts> {
  const { rows } = await pool.query<Counts>(
    `select (select count(*) from leads)::int as leads, (select count(*) from events)::int as events,
            (select count(*) from companies)::int as companies, (select count(*) from csv_imports_raw)::int as imports,
            ((select count(*) from instantly_campaigns_raw) + (select count(*) from instantly_sync_runs)
              + (select count(*) from instantly_webhooks_raw))::int as instantly,
            (select count(*) from campaigns where id <> $1)::int as campaigns`,
    [EXAMPLE_CAMPAIGN_ID],
  );
  return rows[0]!;
}

/** Waits for the worker (ours or another's) to finish a task's jobs; a job that failed stops the demo with its error. */
async function waitForJobs(pool: pg.Pool, task: string, done: () => Promise<boolean>): Promise<void> {
  await pollUntil(
    async () => {
      const { rows } = await pool.query<{ waiting: number; error: string | null }>(
        `select count(*)::int as waiting, max(last_error) as error from graphile_worker.jobs
         where task_identifier = $1 and attempts < max_attempts`,
        [task],
      );
      if (rows[0]!.error) throw new Error(`${task} failed: ${rows[0]!.error.split("\n")[0]}`);
      return rows[0]!.waiting === 0 && (await done()) ? true : undefined;
    },
    { intervalMs: 200 },
  );
}

/** Runs `work` as the API would for the default user: the visitor role, its grants and row-level security. */
async function asDefaultUser(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await inTransaction(client, async () => {
      await client.query("select set_config('role', $1, true), set_config('jwt.claims.user_id', $2, true)", [
        VISITOR_ROLE,
        DEFAULT_USER_ID,
      ]);
      await work(client);
    });
  } finally {
    client.release();
  }
}

// prettier-ignore
const NOTES = [
  "Spoke on the phone: evaluating tools this quarter, decision by end of month.",
  "Prefers email over calls. Send the case study before the follow-up.",
  "Met at the trade fair; interested in the automation add-on.",
  "Forwarded to their head of operations, who owns the budget.",
  "Asked for a pricing sheet in EUR.",
  "Out of office until the 15th, follow up after.",
];

/** Returns the process exit code. */
export async function runDemo(db: Pick<Database, "url">, config: Config, options: DemoOptions = {}): Promise<number> {
  const size = (options.size ?? "normal") as DemoSize;
  if (!(size in DEMO_SIZES)) throw new Error(`--size must be ${Object.keys(DEMO_SIZES).join(" or ")}, got "${options.size}"`);
  const dimensions = DEMO_SIZES[size];
  const started = performance.now();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on("error", (error) => console.error("leadgraph: database error:", error.message));
  try {
    const existing = await existingData(pool);
    const found = Object.entries(existing).filter(([, n]) => n > 0);
    if (found.length && !options.force) {
      console.error(
        [
          `leadgraph: demo: this database already has data (${found.map(([what, n]) => `${what}: ${n}`).join(", ")}).`,
          "  The demo fills an empty database. To add the demo workspace to this one anyway (nothing is deleted), run",
          "  `leadgraph demo --force`; to keep it apart, use another database: LEADGRAPH_DATA_DIR=.data-demo (embedded) or DATABASE_URL.",
        ].join("\n"),
      );
      return 1;
    }

    // The worker for the normalisers only: a queued sync job is `npm start`'s business.
    const workerConfig: Config = { ...config, instantly: { ...config.instantly, apiKey: undefined } };
    const tasks = await makeTasks(workerConfig);
    let stopWorker = async () => {};
    let stopFake = async () => {};
    try {
      const worker = await startWorker({
        databaseUrl: db.url,
        config: workerConfig,
        concurrency: 2,
        shutdownTimeoutMs: config.shutdownTimeoutMs,
        taskList: {
          csv_imports_raw__normalize: tasks.csv_imports_raw__normalize!,
          instantly_raw__normalize: tasks.instantly_raw__normalize!,
          vapi_raw__normalize: tasks.vapi_raw__normalize!,
        },
        quiet: true,
      });
      stopWorker = once(() => worker.stop());
      options.onStop?.("demo worker", stopWorker);
      const { startFakeInstantly } = await import("../tools/fake-instantly/server.ts");
      const { webhookPayloadsFor } = await import("../tools/fake-instantly/webhooks.ts");
      const fake = await startFakeInstantly({
        seed: 1,
        campaigns: dimensions.campaigns,
        accounts: dimensions.accounts,
        emails: dimensions.emails,
        // Today's workspace (the same all day): the timelines are recent.
        now: new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000),
        apiKey: FAKE_API_KEY,
        rateLimits: false,
      });
      stopFake = once(() => fake.close());
      options.onStop?.("fake Instantly server", stopFake);
      log(
        `demo: fake Instantly workspace at ${fake.url}: ${fake.data.campaigns.length} campaigns, ${fake.data.leads.length} leads, ${fake.data.emails.length} emails`,
      );

      // 1. The CSV, with some of the Instantly people (every few, across campaigns).
      const step = Math.max(1, Math.floor(fake.data.leads.length / dimensions.shared));
      const instantlyPeople = fake.data.leads
        .filter((_, i) => i % step === 0)
        .map((l) => ({ email: l.email, companyDomain: l.company_domain, payload: l.payload as Record<string, unknown> }));
      const csv = demoCsv(size, instantlyPeople);
      log(
        `demo: importing ${FILE_NAME}: ${csv.rows} rows, ${csv.companies} companies, ${csv.shared} people also in Instantly, ${csv.bad} bad rows, ${csv.duplicates} repeated people`,
      );
      const upload = await uploadCsv(pool, Readable.from([Buffer.from(csv.text)]), {
        fileName: FILE_NAME,
        fileSizeBytes: Buffer.byteLength(csv.text),
        campaignId: EXAMPLE_CAMPAIGN_ID,
        uploadedBy: DEFAULT_USER_ID,
      });
      await waitForJobs(pool, "csv_imports_raw__normalize", async () => {
        const { rows } = await pool.query("select import_status from csv_imports_raw where id = $1", [upload.importId]);
        return ["completed", "completed_with_errors", "failed"].includes(rows[0]?.import_status);
      });
      const { rows: importRows } = await pool.query("select * from csv_imports_raw where id = $1", [upload.importId]);
      const imported = importRows[0];
      if (imported.import_status === "failed") throw new Error(`the CSV import failed: ${JSON.stringify(imported.error_log)}`);
      log(
        `demo: import ${imported.import_status}: ${imported.leads_inserted} leads inserted, ${imported.duplicate_rows} duplicates, ${imported.failed_rows} rejected, ${imported.companies_inserted} companies`,
      );

      // 2. Instantly: the sync, then the workspace's webhook deliveries (the
      // opens and clicks are in no list the API has).
      log("demo: syncing the fake Instantly workspace");
      const runId = await syncHere(pool, fake.url);
      // (Of the sends, which the sync has stored already, a few.)
      let sends = 0;
      const payloads = (webhookPayloadsFor(fake.data, { perType: Number.MAX_SAFE_INTEGER }) as Array<{ event_type?: string }>).filter(
        (payload) => payload.event_type !== "email_sent" || sends++ < 50,
      );
      // In one transaction: the normaliser then takes them in one go.
      const client = await pool.connect();
      try {
        await inTransaction(client, async () => {
          for (const payload of payloads) await storeWebhook(client, payload);
        });
      } finally {
        client.release();
      }
      log(`demo: ${payloads.length} webhook deliveries stored; normalising`);
      await waitForJobs(pool, "instantly_raw__normalize", async () => {
        const { rows } = await pool.query<{ n: number }>("select count(*)::int as n from leadgraph_private.instantly_left_to_normalize");
        return rows[0]!.n === 0;
      });

      // 3. Notes and status changes on people both sources know.
      const { rows: mixed } = await pool.query<{ id: string; replied: boolean }>(
        `select l.id, exists (select 1 from events e where e.lead_id = l.id and e.event_type = 'email_replied') as replied
         from leads l
         where l.csv_import_id = $1 and exists (select 1 from events e where e.lead_id = l.id and e.event_source = 'instantly')
         order by replied desc, l.last_event_at desc nulls last, l.id limit $2`,
        [upload.importId, size === "small" ? 3 : NOTES.length],
      );
      await asDefaultUser(pool, async (client) => {
        for (const [i, lead] of mixed.entries()) {
          await client.query("insert into events (event_source, event_type, lead_id, note_text) values ('manual', 'note_added', $1, $2)", [
            lead.id,
            NOTES[i % NOTES.length],
          ]);
          if (i < 2) {
            await client.query("select set_lead_status($1, $2, $3)", [
              lead.id,
              lead.replied ? "interested" : "qualified",
              i === 0 ? "Call booked for next week." : null,
            ]);
          }
        }
      });
      log(`demo: ${mixed.length} notes and ${Math.min(2, mixed.length)} status changes by the default user`);

      // 4. Calls: one campaign follows its emails up by phone, through the
      // workflow against a fake VAPI; 5. LinkedIn touches, as a tool exports them.
      const calls = await demoCalls(pool, size);
      const linkedin = await demoLinkedin(pool, size);

      return await summary(pool, config, upload.importId, runId, payloads.length, started, { ...calls, linkedin });
    } finally {
      await stopWorker();
      await stopFake();
    }
  } finally {
    await pool.end();
  }
}

// ------------------------------------------------------- calls and LinkedIn

const LINKEDIN_FILE_NAME = "heyreach-activity-export.csv";

/**
 * The workflow "email -> no reply -> call" for real, against a fake VAPI in
 * this process: the Instantly campaign with the most emailed people who have
 * a phone gets the fake's assistant and number; the due memberships are
 * queued and placed (POST /call), the fake's clock is moved on until the calls
 * ended, and the VAPI sync fetches them; the worker's normaliser makes the
 * events. Every call takes the code path of the worker's jobs.
 */
async function demoCalls(pool: pg.Pool, size: DemoSize): Promise<{ placed: number; callEvents: number }> {
  const { startFakeVapi, DEFAULT_ASSISTANT_ID, DEFAULT_PHONE_NUMBER_ID } = await import("../tools/fake-vapi/server.ts");
  const fake = await startFakeVapi({ apiKey: FAKE_API_KEY, timeScale: 0, concurrencyLimit: 1000, seed: 1 });
  try {
    const { rows } = await pool.query<{ id: string; campaign_name: string }>(
      `select c.id, c.campaign_name from campaigns c join campaign_leads cl on cl.campaign_id = c.id join leads l on l.id = cl.lead_id
       where c.instantly_campaign_id is not null and cl.email_sent_at is not null and cl.email_replied_at is null
         and leadgraph_rules.call_number(l.phone, l.mobile_phone, l.phones) is not null
       group by c.id order by count(*) desc, c.id limit 1`,
    );
    if (!rows[0]) return { placed: 0, callEvents: 0 };
    // Any hour of any day, an hour after the email: the demo places its calls now.
    await pool.query(
      `update campaigns set uses_calls = true, campaign_status = 'active', vapi_assistant_id = $2, vapi_phone_number_id = $3,
              call_after = interval '1 hour', call_hours_start = '00:00', call_hours_end = '23:59:59', call_days = '{1,2,3,4,5,6,7}',
              timezone = 'UTC'
       where id = $1`,
      [rows[0].id, DEFAULT_ASSISTANT_ID, DEFAULT_PHONE_NUMBER_ID],
    );
    const api = new VapiClient({
      baseUrl: fake.url,
      apiKey: FAKE_API_KEY,
      timeoutMs: 10_000,
      maxRetries: 2,
      retryBaseMs: 100,
      requestsPerSecond: 0,
    });
    const client = await pool.connect();
    let placed = 0;
    try {
      await scheduleDueCalls(client, size === "small" ? 8 : 40);
      await withSessionLock(client, LOCKS.vapiCallPlacer, async () => {
        const quiet = { info() {}, warn: log, error: log };
        placed = (await placeCalls(client, api, { maxConcurrentCalls: 1000, retryDelayMs: 1000, logger: quiet })).placed;
      });
      // The outbox's job: placed here, nothing left for a worker.
      await client.query("select graphile_worker.remove_job('vapi_call_requests__place')");
      // Every call rings, is answered or not, and ends; then the sync brings them.
      fake.advance(30 * 60_000);
      await runVapiSync(client, api, {
        triggeredBy: "cli",
        settings: { syncSinceDays: 1, assistantIds: [], phoneNumberIds: [] },
        logger: { info() {}, warn: log },
      });
    } finally {
      client.release();
    }
    await waitForJobs(pool, "vapi_raw__normalize", async () => {
      const { rows } = await pool.query<{ n: number }>("select count(*)::int as n from leadgraph_private.vapi_pending");
      return rows[0]!.n === 0;
    });
    const events = await pool.query<{ n: number }>("select count(*)::int as n from events where event_source = 'vapi'");
    log(
      `demo: "${rows[0].campaign_name}" follows up by phone: ${placed} calls placed with the fake VAPI, ${events.rows[0]!.n} call events`,
    );
    return { placed, callEvents: events.rows[0]!.n };
  } finally {
    await fake.close();
  }
}

/** A HeyReach-like export of LinkedIn touches with people the CSV brought, imported as LinkedIn activity. */
async function demoLinkedin(pool: pg.Pool, size: DemoSize): Promise<number> {
  const { rows: people } = await pool.query<{ first_name: string; last_name: string; linkedin_url: string; email: string | null }>(
    `select first_name, last_name, linkedin_url, email from leads
     where linkedin_url like '%linkedin.com/in/%' and first_name is not null and last_name is not null
     order by last_event_at desc nulls last, id limit $1`,
    [size === "small" ? 6 : 30],
  );
  if (!people.length) return 0;
  const rng = createRng(SEED + 11);
  const day = 86_400_000;
  const now = Date.now();
  const header = [
    "eventType",
    "timestamp",
    "firstName",
    "lastName",
    "linkedInUrl",
    "emailAddress",
    "campaignName",
    "messageText",
    "linkedInSenderFullName",
  ];
  const lines = [header.join(",")];
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  for (const [i, person] of people.entries()) {
    let at = now - (8 + (i % 5)) * day;
    const row = (type: string, text = "") => {
      at += Math.floor((0.5 + rng()) * day);
      lines.push(
        [
          type,
          new Date(at).toISOString(),
          person.first_name,
          person.last_name,
          person.linkedin_url,
          person.email ?? "",
          "LinkedIn: founders Q4",
          text,
          "Alex Morgan",
        ]
          .map(quote)
          .join(","),
      );
    };
    row("CONNECTION_REQUEST_SENT");
    if (rng() < 0.8) {
      row("CONNECTION_REQUEST_ACCEPTED");
      row(
        "MESSAGE_SENT",
        `Thanks for connecting, ${person.first_name}! We help teams like yours keep every prospect in one place. Open to a quick chat?`,
      );
      if (rng() < 0.5) row("MESSAGE_REPLY_RECEIVED", "Sounds interesting. Send me a few times for next week.");
    }
  }
  const text = lines.join("\n") + "\n";
  const upload = await uploadCsv(pool, Readable.from([Buffer.from(text)]), {
    fileName: LINKEDIN_FILE_NAME,
    fileSizeBytes: Buffer.byteLength(text),
    uploadedBy: DEFAULT_USER_ID,
    kind: "linkedin",
  });
  await waitForJobs(pool, "csv_imports_raw__normalize", async () => {
    const { rows } = await pool.query("select import_status from csv_imports_raw where id = $1", [upload.importId]);
    return ["completed", "completed_with_errors", "failed"].includes(rows[0]?.import_status);
  });
  const { rows } = await pool.query<{ n: number }>("select count(*)::int as n from events where event_source = 'linkedin'");
  log(`demo: ${LINKEDIN_FILE_NAME}: ${lines.length - 1} LinkedIn touches of ${people.length} people, ${rows[0]!.n} LinkedIn events`);
  return rows[0]!.n;
}

async function summary(
  pool: pg.Pool,
  config: Config,
  importId: string,
  runId: string,
  webhooks: number,
  started: number,
  channels: { placed: number; callEvents: number; linkedin: number },
): Promise<number> {
  const { rows } = await pool.query(
    `select (select count(*) from leads)::int as leads,
            (select count(*) from leads where lead_source = 'csv')::int as csv_leads,
            (select count(*) from leads where lead_source = 'instantly')::int as instantly_leads,
            (select count(*) from leads l where l.csv_import_id is not null
               and exists (select 1 from events e where e.lead_id = l.id and e.event_source = 'instantly'))::int as both_sources,
            (select count(*) from companies)::int as companies,
            (select count(*) from campaigns)::int as campaigns,
            (select count(*) from campaigns where instantly_campaign_id is not null)::int as instantly_campaigns,
            (select count(*) from campaign_leads)::int as memberships,
            (select count(*) from events)::int as events,
            (select count(*) from events where event_source = 'instantly')::int as instantly_events,
            (select count(*) from events where event_source = 'manual')::int as manual_events,
            (select count(*) from events where event_source in ('vapi', 'linkedin'))::int as other_events,
            (select status from instantly_sync_runs where id = $2) as sync_status,
            (select requests_made from instantly_sync_runs where id = $2) as requests,
            (select count(*) from instantly_rejects)::int as set_aside,
            (select row_to_json(i) from csv_imports_raw i where i.id = $1) as import,
            (select l.id from leads l where l.csv_import_id = $1
               and exists (select 1 from events e where e.lead_id = l.id and e.event_source = 'manual')
             order by l.last_event_at desc nulls last limit 1) as example_lead`,
    [importId, runId],
  );
  const s = rows[0];
  const app = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${config.port}`;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    [
      `leadgraph: demo workspace ready in ${seconds} s`,
      `  leads        ${s.leads} (${s.csv_leads} from the CSV import, ${s.instantly_leads} found through Instantly; ${s.both_sources} in both, their timelines mix sources)`,
      `  companies    ${s.companies}`,
      `  campaigns    ${s.campaigns} (${s.instantly_campaigns} from Instantly), ${s.memberships} campaign memberships`,
      `  events       ${s.events} (${s.instantly_events} from Instantly, ${s.other_events} calls and LinkedIn touches, ${s.manual_events} notes and status changes)`,
      `  import       ${FILE_NAME}: ${s.import.total_rows} rows, ${s.import.failed_rows} rejected, ${s.import.duplicate_rows} duplicates (${s.import.import_status})`,
      `  Instantly    sync ${s.sync_status}, ${s.requests} requests to the fake workspace, ${webhooks} webhook deliveries, ${s.set_aside} records set aside`,
      `  calls        ${channels.placed} follow-up calls placed by the workflow with a fake VAPI, ${channels.callEvents} call events`,
      `  LinkedIn     ${channels.linkedin} touches imported from ${LINKEDIN_FILE_NAME}`,
      `Open the app (with \`npm start\` running): ${app}/`,
      ...(s.example_lead ? [`  a lead whose timeline mixes sources: ${app}/leads/${s.example_lead}`] : []),
      `  GraphiQL: ${app}/graphiql`,
    ].join("\n"),
  );
  return s.sync_status === "failed" ? 1 : 0;
}
