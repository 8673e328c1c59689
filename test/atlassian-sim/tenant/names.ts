/**
 * Deterministic name material for the tenant generator. People's names are `[display, ascii]` pairs so that a
 * Unicode display name ("Zoë", "Łukasz", "渡辺") still yields a stable ASCII email local part and nickname.
 */

export type NamePair = readonly [display: string, ascii: string];

export const FIRST_NAMES: readonly NamePair[] = [
  ["Zoë", "zoe"],
  ["Łukasz", "lukasz"],
  ["Søren", "soren"],
  ["José", "jose"],
  ["François", "francois"],
  ["Jürgen", "jurgen"],
  ["Siobhán", "siobhan"],
  ["Björk", "bjork"],
  ["Chloé", "chloe"],
  ["Ángel", "angel"],
  ["Dvořák", "dvorak"],
  ["İlker", "ilker"],
  ["翔太", "shota"],
  ["美咲", "misaki"],
  ["伟", "wei"],
  ["민준", "minjun"],
  ["Анна", "anna"],
  ["Ana", "ana"],
  ["Alice", "alice"],
  ["Amir", "amir"],
  ["Ben", "ben"],
  ["Carla", "carla"],
  ["Chen", "chen"],
  ["Daniel", "daniel"],
  ["Deepa", "deepa"],
  ["Elena", "elena"],
  ["Emeka", "emeka"],
  ["Fatima", "fatima"],
  ["Felix", "felix"],
  ["Grace", "grace"],
  ["Hana", "hana"],
  ["Hugo", "hugo"],
  ["Ingrid", "ingrid"],
  ["Isaac", "isaac"],
  ["Jack", "jack"],
  ["Jia", "jia"],
  ["Kai", "kai"],
  ["Karim", "karim"],
  ["Laura", "laura"],
  ["Liam", "liam"],
  ["Maya", "maya"],
  ["Mateo", "mateo"],
  ["Nadia", "nadia"],
  ["Noah", "noah"],
  ["Olivia", "olivia"],
  ["Omar", "omar"],
  ["Priya", "priya"],
  ["Quinn", "quinn"],
  ["Rafael", "rafael"],
  ["Rosa", "rosa"],
  ["Sam", "sam"],
  ["Sara", "sara"],
  ["Tariq", "tariq"],
  ["Tess", "tess"],
  ["Uma", "uma"],
  ["Victor", "victor"],
  ["Wen", "wen"],
  ["Xavier", "xavier"],
  ["Yara", "yara"],
  ["Yusuf", "yusuf"],
  ["Zara", "zara"],
  ["Maria", "maria"],
  ["John", "john"],
  ["Aisha", "aisha"],
];

export const LAST_NAMES: readonly NamePair[] = [
  ["Nguyễn", "nguyen"],
  ["渡辺", "watanabe"],
  ["王", "wang"],
  ["김", "kim"],
  ["Müller", "muller"],
  ["Søndergaard", "sondergaard"],
  ["Łukaszewicz", "lukaszewicz"],
  ["García", "garcia"],
  ["Gonçalves", "goncalves"],
  ["Öztürk", "ozturk"],
  ["Ó Briain", "obriain"],
  ["Dvořáková", "dvorakova"],
  ["Иванова", "ivanova"],
  ["O'Neil", "oneil"],
  ["van der Berg", "vanderberg"],
  ["Smith", "smith"],
  ["Johnson", "johnson"],
  ["Williams", "williams"],
  ["Brown", "brown"],
  ["Jones", "jones"],
  ["Patel", "patel"],
  ["Singh", "singh"],
  ["Okafor", "okafor"],
  ["Mensah", "mensah"],
  ["Rossi", "rossi"],
  ["Bianchi", "bianchi"],
  ["Dubois", "dubois"],
  ["Martin", "martin"],
  ["Schmidt", "schmidt"],
  ["Fischer", "fischer"],
  ["Larsen", "larsen"],
  ["Nielsen", "nielsen"],
  ["Kowalski", "kowalski"],
  ["Novak", "novak"],
  ["Silva", "silva"],
  ["Santos", "santos"],
  ["Tanaka", "tanaka"],
  ["Suzuki", "suzuki"],
  ["Li", "li"],
  ["Zhang", "zhang"],
  ["Chen", "chen"],
  ["Haddad", "haddad"],
  ["Cohen", "cohen"],
  ["Levi", "levi"],
  ["Andersson", "andersson"],
  ["Berg", "berg"],
  ["Walker", "walker"],
  ["Taylor", "taylor"],
  ["Clarke", "clarke"],
  ["Murphy", "murphy"],
  ["Kelly", "kelly"],
  ["Reyes", "reyes"],
  ["Torres", "torres"],
  ["Khan", "khan"],
  ["Ali", "ali"],
  ["Mwangi", "mwangi"],
];

export const ORG_NAMES: readonly string[] = [
  "Acme Corp",
  "Globex",
  "Initech",
  "Umbrella Labs",
  "Hooli",
  "Vandelay Industries",
  "Soylent Systems",
  "Tyrell Works",
  "Wonka Industries",
  "Nakatomi Trading",
];

export const TITLES: readonly string[] = [
  "Software Engineer",
  "Senior Software Engineer",
  "Staff Engineer",
  "Engineering Manager",
  "Product Manager",
  "Designer",
  "QA Engineer",
  "Site Reliability Engineer",
  "Data Analyst",
  "Support Specialist",
  "Technical Writer",
  "Sales Engineer",
  "Recruiter",
  "Finance Analyst",
  "IT Administrator",
  "Security Engineer",
];

export const DEPARTMENTS: readonly string[] = [
  "Engineering",
  "Product",
  "Design",
  "Support",
  "Sales",
  "Marketing",
  "Finance",
  "People",
  "IT",
  "Security",
  "Data",
  "Legal",
];

/** Words that name teams (group names, Bitbucket groups). */
export const TEAM_WORDS: readonly string[] = [
  "platform",
  "payments",
  "search",
  "mobile",
  "web",
  "identity",
  "billing",
  "growth",
  "infra",
  "data",
  "ml",
  "security",
  "support",
  "sales",
  "marketing",
  "finance",
  "design",
  "docs",
  "qa",
  "release",
  "sre",
  "analytics",
  "integrations",
  "onboarding",
  "checkout",
  "catalog",
  "notifications",
  "messaging",
  "reporting",
  "compliance",
  "network",
  "storage",
  "frontend",
  "backend",
  "api",
  "partners",
];

/** Words for Jira project, Confluence space and repository names; a few carry Unicode on purpose. */
export const PROJECT_WORDS: readonly string[] = [
  "Phoenix",
  "Atlas",
  "Orion",
  "Nimbus",
  "Falcon",
  "Horizon",
  "Quartz",
  "Beacon",
  "Comet",
  "Vertex",
  "Harbor",
  "Summit",
  "Lumen",
  "Cascade",
  "Ember",
  "Mosaic",
  "Pulse",
  "Sierra",
  "Tundra",
  "Zephyr",
  "Café",
  "Über",
  "Données",
  "Zürich",
  "Ørsted",
  "São Paulo",
  "Kraków",
  "東京",
  "数据",
  "Ñandú",
];

export const PROJECT_SUFFIXES: readonly string[] = [
  "Platform",
  "Portal",
  "Mobile",
  "API",
  "Migration",
  "Rollout",
  "Service Desk",
  "Analytics",
  "Gateway",
  "Website",
  "Billing",
  "Integration",
  "Infrastructure",
  "Onboarding",
  "Reporting",
];

export const SPACE_SUFFIXES: readonly string[] = [
  "Handbook",
  "Docs",
  "Knowledge Base",
  "Runbooks",
  "Wiki",
  "Team Space",
  "Design System",
  "Release Notes",
  "Onboarding",
  "Retrospectives",
];

export const REPO_SUFFIXES: readonly string[] = [
  "service",
  "api",
  "web",
  "app",
  "lib",
  "infra",
  "terraform",
  "pipeline",
  "worker",
  "sdk",
  "cli",
  "docs",
  "gateway",
  "ui",
];

/** Display names of Marketplace / Atlassian app accounts. */
export const APP_NAMES: readonly string[] = [
  "Automation for Jira",
  "Slack",
  "GitHub for Jira",
  "Tempo Timesheets",
  "Zephyr Squad",
  "Opsgenie",
  "Miro",
  "Microsoft Teams",
  "Jira Cloud for Sheets",
  "Confluence Analytics",
  "Statuspage",
  "Trello",
];

/** Domains of external collaborators (not the org's verified domain). */
export const EXTERNAL_DOMAINS: readonly string[] = [
  "contractor-co.example",
  "freelance.example",
  "agency-partners.example",
  "gmail.example",
];

/** Domains of Jira Service Management customers. */
export const CUSTOMER_DOMAINS: readonly string[] = [
  "customer-one.example",
  "bigretail.example",
  "hospital.example",
  "outlook.example",
  "university.example",
];

/** Words for groups that end up granted nothing anywhere. */
export const UNUSED_GROUP_WORDS: readonly string[] = [
  "book-club",
  "alumni-2019",
  "offsite-planning",
  "hackathon-2024",
  "old-vpn-users",
  "sso-pilot",
  "secret-santa",
  "running-club",
];

const FOLD: Record<string, string> = {
  ł: "l",
  Ł: "L",
  ø: "o",
  Ø: "O",
  ß: "ss",
  æ: "ae",
  Æ: "AE",
  đ: "d",
  Đ: "D",
  ı: "i",
  œ: "oe",
  Œ: "OE",
};

/** Folds Latin diacritics to ASCII (é → e, ł → l, ø → o) and drops characters that have no ASCII form. */
export function asciiFold(s: string): string {
  let out = "";
  for (const ch of s.normalize("NFD")) {
    const code = ch.charCodeAt(0);
    if (code < 0x80) out += ch;
    else if (FOLD[ch] !== undefined) out += FOLD[ch];
    // combining marks and scripts without an ASCII form are dropped
  }
  return out;
}

/** Lower-case, ASCII, hyphen-separated slug; "" when nothing ASCII remains. */
export function slugify(s: string): string {
  return asciiFold(s)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}
