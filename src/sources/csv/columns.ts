// Which header of an uploaded file holds which lead or company field. Matched
// by name, case- and space-insensitive, across Apollo's header versions
// ("Company" vs "Company Name", "First Phone" vs "Work Direct Phone", ...) and
// snake_case exports; the first candidate present wins.

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
  phone: ["work direct phone", "first phone", "phone number", "sanitized phone number", "phone"],
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

/** "First Name", "first_name", " FIRST  NAME " -> "firstname". */
const canonical = (name: string) => name.toLowerCase().replace(/[^a-z0-9#]+/g, "");

/** For each field, the header that holds it in this file (absent when none does). */
export function mapColumns(headers: readonly string[]): Partial<Record<Field, string>> {
  const byCanonical = new Map<string, string>();
  for (const header of headers) if (!byCanonical.has(canonical(header))) byCanonical.set(canonical(header), header);
  const mapping: Partial<Record<Field, string>> = {};
  for (const [field, candidates] of Object.entries(FIELDS) as Array<[Field, readonly string[]]>) {
    for (const candidate of candidates) {
      const header = byCanonical.get(canonical(candidate));
      if (header !== undefined) {
        mapping[field] = header;
        break;
      }
    }
  }
  return mapping;
}

/** Why a file cannot give us leads at all, or undefined when it can. */
export function missingIdentityColumns(mapping: Partial<Record<Field, string>>): string | undefined {
  if (mapping.email || mapping.linkedin_url || mapping.first_name || mapping.last_name || mapping.full_name) return undefined;
  return (
    "No recognisable email or name columns: looked for Email, Person Linkedin Url (or LinkedIn Url), First Name, Last Name " +
    "and Full Name, in any case or spacing, or snake_case (email, first_name, ...)."
  );
}

/** Email domains of free-mail providers: never a company's domain. */
export const FREE_MAIL_DOMAINS = [
  "gmail.com",
  "googlemail.com",
  "yahoo.com",
  "yahoo.co.uk",
  "ymail.com",
  "hotmail.com",
  "hotmail.co.uk",
  "outlook.com",
  "live.com",
  "msn.com",
  "aol.com",
  "icloud.com",
  "me.com",
  "mac.com",
  "proton.me",
  "protonmail.com",
  "pm.me",
  "gmx.com",
  "gmx.de",
  "gmx.net",
  "web.de",
  "mail.com",
  "mail.ru",
  "yandex.ru",
  "yandex.com",
  "qq.com",
  "163.com",
  "126.com",
  "zoho.com",
  "fastmail.com",
  "hey.com",
  "tutanota.com",
  "free.fr",
  "orange.fr",
  "btinternet.com",
  "comcast.net",
];
