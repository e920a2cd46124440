// Which header of an uploaded file holds which lead or company field. Matched
// by name, case- and space-insensitive, across Apollo's header versions
// ("Company" vs "Company Name", ...) and snake_case exports; the first
// candidate present wins. Phones are the exception: a person's number is in
// whichever phone column a row fills (see PHONES).

export const FIELDS = {
  email: ["email", "email address", "work email"],
  first_name: ["first name"],
  last_name: ["last name"],
  full_name: ["full name", "name"],
  job_title: ["title", "job title"],
  seniority: ["seniority"],
  departments: ["departments"],
  email_status: ["email status"],
  secondary_email: ["secondary email"],
  mobile_phone: ["mobile phone"],
  linkedin_url: ["person linkedin url", "linkedin url", "linkedin"],
  city: ["city"],
  state: ["state"],
  country: ["country"],
  apollo_contact_id: ["apollo contact id"],
  company_name: ["company name", "company", "company name for emails"],
  website: ["website", "company url", "company website"],
  company_domain: ["company domain"],
  industry: ["industry"],
  employee_count: ["# employees", "employees", "estimated num employees", "number of employees"],
  annual_revenue: ["annual revenue"],
  total_funding: ["total funding"],
  latest_funding: ["latest funding"],
  keywords: ["keywords"],
  technologies: ["technologies"],
  description: ["seo description", "company description"],
  company_linkedin_url: ["company linkedin url"],
  facebook_url: ["facebook url"],
  twitter_url: ["twitter url"],
  company_address: ["company address"],
  company_city: ["company city"],
  company_state: ["company state"],
  company_country: ["company country"],
  company_phone: ["company phone", "corporate phone"],
  apollo_account_id: ["apollo account id"],
} as const;

export type Field = keyof typeof FIELDS;

/**
 * A person's phone columns, the primary first: Apollo's "First Phone" (its
 * primary number, sanitised; older exports), then the direct, mobile, home
 * and other numbers (Corporate Phone is the company's, see company_phone).
 * Each row's phone is the first of these it fills; the lead keeps them all.
 */
export const PHONES = [
  "first phone",
  "work direct phone",
  "mobile phone",
  "home phone",
  "other phone",
  "sanitized phone number",
  "phone number",
  "phone",
] as const;

/** "First Name", "first_name", " FIRST  NAME " -> "firstname". */
export const canonical = (name: string) => name.toLowerCase().replace(/[^a-z0-9#]+/g, "");

export interface ColumnMapping {
  /** For each field, the header that holds it in this file (absent when none does). */
  fields: Partial<Record<Field, string>>;
  /** The headers of the person's phones present in this file, in PHONES order. */
  phones: string[];
}

export function mapColumns(headers: readonly string[]): ColumnMapping {
  const byCanonical = new Map<string, string>();
  for (const header of headers) if (!byCanonical.has(canonical(header))) byCanonical.set(canonical(header), header);
  const present = (candidates: readonly string[]) =>
    candidates.flatMap((candidate) => byCanonical.get(canonical(candidate)) ?? []).filter((h, i, all) => all.indexOf(h) === i);
  const fields: Partial<Record<Field, string>> = {};
  for (const [field, candidates] of Object.entries(FIELDS) as Array<[Field, readonly string[]]>) {
    const [header] = present(candidates);
    if (header !== undefined) fields[field] = header;
  }
  return { fields, phones: present(PHONES) };
}

/** Why a file cannot give us leads at all, or undefined when it can. */
export function missingIdentityColumns(mapping: Partial<Record<Field, string>>): string | undefined {
  if (mapping.email || mapping.linkedin_url || mapping.first_name || mapping.last_name || mapping.full_name) return undefined;
  return (
    "No recognisable email or name columns: looked for Email, Person Linkedin Url (or LinkedIn Url), First Name, Last Name " +
    "and Full Name, in any case or spacing, or snake_case (email, first_name, ...)."
  );
}
