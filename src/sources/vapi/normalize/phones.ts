// A call's number against the leads' phones: both in E.164, a lead's phone
// read in the lead's country when it is written nationally ("0151 2345678"
// with country "Deutschland"). leads.country is a name in whatever language
// the source wrote it: every region libphonenumber knows, named in a few
// languages by Intl.DisplayNames, plus the usual short forms.
import { getCountries, parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";

const LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pt", "sv", "da", "nb", "fi", "pl", "cs", "tr", "ru", "ja", "zh"];

const ALIASES: Record<string, CountryCode> = {
  usa: "US",
  "united states of america": "US",
  america: "US",
  uk: "GB",
  "great britain": "GB",
  britain: "GB",
  england: "GB",
  scotland: "GB",
  wales: "GB",
  "northern ireland": "GB",
  holland: "NL",
  "the netherlands": "NL",
  "czech republic": "CZ",
  "south korea": "KR",
  korea: "KR",
  "russian federation": "RU",
  uae: "AE",
};

/** A country name as compared: lower case, no accents, no dots, single spaces. */
function fold(name: string): string {
  return name
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLocaleLowerCase("en")
    .replace(/[.()]/g, "")
    .replace(/[\s,_-]+/g, " ")
    .trim();
}

let regions: Map<string, CountryCode> | undefined;

function regionNames(): Map<string, CountryCode> {
  if (regions) return regions;
  regions = new Map();
  for (const [alias, code] of Object.entries(ALIASES)) regions.set(fold(alias), code);
  const codes = getCountries();
  for (const code of codes) regions.set(fold(code), code);
  for (const language of LANGUAGES) {
    const names = new Intl.DisplayNames([language], { type: "region", fallback: "none" });
    for (const code of codes) {
      const name = names.of(code);
      // The first language to claim a name keeps it (English first).
      if (name && !regions.has(fold(name))) regions.set(fold(name), code);
    }
  }
  return regions;
}

/** The ISO region of a country as people write it ("United States", "Deutschland", "DE"); undefined when unknown. */
export function regionOf(country: string | null | undefined): CountryCode | undefined {
  if (!country?.trim()) return undefined;
  return regionNames().get(fold(country));
}

/**
 * A phone number in E.164, read in `region` when it is written nationally;
 * without a region only international numbers (+49 ..., 0049 ...) are read.
 * Undefined when it is not a possible number.
 */
export function toE164(phone: string | null | undefined, region?: CountryCode): string | undefined {
  if (!phone?.trim()) return undefined;
  let text = phone.trim().replace(/^'+/, "");
  if (!region) text = text.replace(/^\s*00(?=[1-9])/, "+");
  const parsed = parsePhoneNumberFromString(text, region ? { defaultCountry: region } : undefined);
  return parsed?.isPossible() ? parsed.number : undefined;
}

/** The lookup key of a number as leadgraph_rules.phone_keys() makes it: its last 8 digits. */
export function phoneKey(e164: string): string {
  return e164.replace(/\D/g, "").slice(-8);
}

export interface Candidate {
  lead_id: string;
  phones: string[];
  country: string | null;
}

/** The candidates (found by key) that really have this number, once each. */
export function leadsWithNumber(e164: string, candidates: Candidate[]): string[] {
  const leads = new Set<string>();
  for (const candidate of candidates) {
    const region = regionOf(candidate.country);
    if (candidate.phones.some((phone) => toE164(phone, region) === e164)) leads.add(candidate.lead_id);
  }
  return [...leads].sort();
}
