/**
 * The service's settings: read from the environment (and, optionally, a JSON file given with `--settings`, whose
 * keys are the same variable names; the environment wins over the file), checked with zod before anything starts.
 * Every problem is reported at once as `SETTING: what is wrong`, naming the setting and never its value (X5).
 *
 * | Setting | Default | |
 * |---|---|---|
 * | `ACCESSMAP_STORE` | `sqlite:.accessmap/accessmap.db` | store URL (`sqlite:PATH` or `postgres://…`) |
 * | `ACCESSMAP_MASTER_KEY` | required | 32 random bytes, base64 (`[id:]base64`); seals tenant secrets |
 * | `ACCESSMAP_MASTER_KEY_PREVIOUS` | none | older master keys, comma-separated (rotation) |
 * | `ACCESSMAP_HOST` / `ACCESSMAP_PORT` | `127.0.0.1` / `8787` | where the API listens |
 * | `ACCESSMAP_OPERATOR_TOKEN` | required, ≥ 32 chars | the operator credential (tenants, API keys) |
 * | `ACCESSMAP_FORGE_APP_ID` | none | enables Forge (FIT) auth on `/forge/*`; the pinned audience |
 * | `ACCESSMAP_FORGE_JWKS_URL` | Forge's production JWKS | |
 * | `ACCESSMAP_FORGE_ALLOWED_API_HOSTS` | none | extra `host[:port]` accepted as FIT `apiBaseUrl` (simulator) |
 * | `ACCESSMAP_FORGE_AUTO_REGISTER` | `true` | a new Forge installation gets its own tenant on install (else 403) |
 * | `ACCESSMAP_SYNC_CONCURRENCY` | `2` | syncs running at once in this process (global budget) |
 * | `ACCESSMAP_RETENTION_KEEP` | `5` | complete snapshots kept per tenant besides the current one |
 * | `ACCESSMAP_MASS_DELETION_THRESHOLD` | `0.2` | share of accounts or admin grants whose removal holds a run |
 * | `ACCESSMAP_BODY_LIMIT_BYTES` | `1048576` | request bodies larger than this answer 413 |
 * | `ACCESSMAP_LOG_LEVEL` | `info` | trace, debug, info, warn, error, fatal or silent |
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { Secret } from "../config/secret.js";
import {
  loadMasterKeyring,
  MASTER_KEY_ENV,
  MasterKeyConfigError,
  type MasterKeyring,
  PREVIOUS_MASTER_KEYS_ENV,
} from "../security/envelope.js";
import { FORGE_JWKS_URL } from "../security/fit.js";
import { LOG_LEVELS, type LogLevel } from "../security/logger.js";
import { DEFAULT_STORE_URL } from "../store/open-store.js";

export const SETTING_NAMES = [
  "ACCESSMAP_STORE",
  MASTER_KEY_ENV,
  PREVIOUS_MASTER_KEYS_ENV,
  "ACCESSMAP_HOST",
  "ACCESSMAP_PORT",
  "ACCESSMAP_OPERATOR_TOKEN",
  "ACCESSMAP_FORGE_APP_ID",
  "ACCESSMAP_FORGE_JWKS_URL",
  "ACCESSMAP_FORGE_ALLOWED_API_HOSTS",
  "ACCESSMAP_FORGE_AUTO_REGISTER",
  "ACCESSMAP_SYNC_CONCURRENCY",
  "ACCESSMAP_RETENTION_KEEP",
  "ACCESSMAP_MASS_DELETION_THRESHOLD",
  "ACCESSMAP_BODY_LIMIT_BYTES",
  "ACCESSMAP_LOG_LEVEL",
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

/** Minimum length of the operator token (a random string; e.g. `openssl rand -base64 32`). */
export const OPERATOR_TOKEN_MIN_LENGTH = 32;

export interface ForgeSettings {
  appId: string;
  jwksUrl: string;
  allowedApiHosts: string[];
  /**
   * Whether an installation no tenant is bound to creates its own tenant when the app is installed. On (the
   * default) is how a Marketplace listing serves every site that installs it; off means an operator binds each
   * installation id to a tenant first (`PATCH /v1/tenants/{id}` with `forgeInstallationId`).
   */
  autoRegister: boolean;
}

export interface ServiceSettings {
  storeUrl: string;
  keyring: MasterKeyring;
  host: string;
  port: number;
  operatorToken: Secret;
  /** Null when Forge auth is not enabled (no app id). */
  forge: ForgeSettings | null;
  syncConcurrency: number;
  retentionKeep: number;
  massDeletionThreshold: number;
  bodyLimitBytes: number;
  logLevel: LogLevel | "silent";
}

export interface SettingIssue {
  setting: string;
  message: string;
}

/** The settings cannot be used. Each issue names a setting and never carries its value. */
export class SettingsError extends Error {
  constructor(readonly issues: SettingIssue[]) {
    super(`invalid service settings:\n${issues.map((i) => `  - ${i.setting}: ${i.message}`).join("\n")}`);
    this.name = "SettingsError";
  }
}

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, "must be an integer")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Every field is the raw text of one setting; messages are written so they never repeat the input. */
const Raw = z.object({
  ACCESSMAP_STORE: z
    .string()
    .trim()
    .refine((v) => v.startsWith("sqlite:") || v.startsWith("postgres://") || v.startsWith("postgresql://"), {
      message: "must start with sqlite: or postgres://",
    })
    .default(DEFAULT_STORE_URL),
  ACCESSMAP_HOST: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .regex(/^[A-Za-z0-9.:[\]-]+$/, "must be a host name or IP address")
    .default("127.0.0.1"),
  ACCESSMAP_PORT: int(0, 65535).default(8787),
  ACCESSMAP_OPERATOR_TOKEN: z
    .string({ error: "is required: the operator credential (at least 32 random characters)" })
    .refine((v) => v.trim() === v, { message: "must not start or end with whitespace" })
    .refine((v) => v.length >= OPERATOR_TOKEN_MIN_LENGTH, {
      message: `must be at least ${OPERATOR_TOKEN_MIN_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`,
    })
    .refine((v) => v.length <= 512, { message: "must be at most 512 characters" })
    .refine((v) => /^[\x21-\x7e]+$/.test(v), { message: "must be printable ASCII without spaces" }),
  ACCESSMAP_FORGE_APP_ID: z.string().trim().min(1, "must not be empty when set").optional(),
  ACCESSMAP_FORGE_JWKS_URL: z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          const u = new URL(v);
          return u.protocol === "https:" || (u.protocol === "http:" && LOOPBACK.has(u.hostname));
        } catch {
          return false;
        }
      },
      { message: "must be an https URL (http only on a loopback host)" },
    )
    .default(FORGE_JWKS_URL),
  ACCESSMAP_FORGE_ALLOWED_API_HOSTS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((h) => h.trim())
        .filter((h) => h !== ""),
    )
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, "must list host[:port] values, comma-separated"))),
  ACCESSMAP_FORGE_AUTO_REGISTER: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ["true", "false", "1", "0", "yes", "no", "on", "off"].includes(v), {
      message: "must be true or false",
    })
    .transform((v) => ["true", "1", "yes", "on"].includes(v))
    .default(true),
  ACCESSMAP_SYNC_CONCURRENCY: int(1, 64).default(2),
  ACCESSMAP_RETENTION_KEEP: int(1, 1000).default(5),
  ACCESSMAP_MASS_DELETION_THRESHOLD: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, "must be a number between 0 and 1")
    .transform(Number)
    .pipe(z.number().min(0, "must be between 0 and 1").max(1, "must be between 0 and 1"))
    .default(0.2),
  ACCESSMAP_BODY_LIMIT_BYTES: int(1024, 256 * 1024 * 1024).default(1024 * 1024),
  ACCESSMAP_LOG_LEVEL: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => v === "silent" || Object.hasOwn(LOG_LEVELS, v), {
      message: "must be one of trace, debug, info, warn, error, fatal, silent",
    })
    .default("info"),
});

export type SettingsSource = Record<string, string | undefined>;

/** Reads a settings file: a JSON object whose keys are setting names and whose values are strings or numbers. */
export async function readSettingsFile(path: string): Promise<SettingsSource> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new SettingsError([
      { setting: "--settings", message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})` },
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SettingsError([{ setting: "--settings", message: `${path} is not valid JSON` }]);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new SettingsError([{ setting: "--settings", message: `${path} must hold a JSON object of settings` }]);
  }
  const issues: SettingIssue[] = [];
  const out: SettingsSource = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(SETTING_NAMES as readonly string[]).includes(key)) {
      issues.push({ setting: key, message: `is not a setting (in ${path}); known: ${SETTING_NAMES.join(", ")}` });
    } else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      out[key] = String(value);
    } else if (value !== null) {
      issues.push({ setting: key, message: `must be a string or a number (in ${path})` });
    }
  }
  if (issues.length > 0) throw new SettingsError(issues);
  return out;
}

/**
 * Checks the settings. `env` wins over `file`; an empty environment variable counts as unset.
 * @throws SettingsError naming every setting at fault.
 */
export function parseSettings(env: SettingsSource, file: SettingsSource = {}): ServiceSettings {
  const merged: SettingsSource = {};
  for (const name of SETTING_NAMES) {
    const v = env[name] !== undefined && env[name] !== "" ? env[name] : file[name];
    if (v !== undefined && v !== "") merged[name] = v;
  }
  const issues: SettingIssue[] = [];
  const parsed = Raw.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const setting = String(issue.path[0] ?? "(settings)");
      const message =
        merged[setting] === undefined && issue.code === "invalid_type"
          ? issue.message.startsWith("is required")
            ? issue.message
            : "is required"
          : issue.message.replace(/, received .*$/, "");
      issues.push({ setting, message });
    }
  }
  let keyring: MasterKeyring | null = null;
  try {
    keyring = loadMasterKeyring({
      [MASTER_KEY_ENV]: merged[MASTER_KEY_ENV],
      [PREVIOUS_MASTER_KEYS_ENV]: merged[PREVIOUS_MASTER_KEYS_ENV],
    });
  } catch (err) {
    if (!(err instanceof MasterKeyConfigError)) throw err;
    // The message names the variable and the expected format, never the value.
    issues.push({
      setting: err.variable,
      message: err.message.replace(`${err.variable}: `, "").replace(`${err.variable} `, ""),
    });
  }
  if (issues.length > 0 || !parsed.success || !keyring) throw new SettingsError(issues);
  const d = parsed.data;
  return {
    storeUrl: d.ACCESSMAP_STORE,
    keyring,
    host: d.ACCESSMAP_HOST,
    port: d.ACCESSMAP_PORT,
    operatorToken: new Secret(d.ACCESSMAP_OPERATOR_TOKEN),
    forge: d.ACCESSMAP_FORGE_APP_ID
      ? {
          appId: d.ACCESSMAP_FORGE_APP_ID,
          jwksUrl: d.ACCESSMAP_FORGE_JWKS_URL,
          allowedApiHosts: d.ACCESSMAP_FORGE_ALLOWED_API_HOSTS,
          autoRegister: d.ACCESSMAP_FORGE_AUTO_REGISTER,
        }
      : null,
    syncConcurrency: d.ACCESSMAP_SYNC_CONCURRENCY,
    retentionKeep: d.ACCESSMAP_RETENTION_KEEP,
    massDeletionThreshold: d.ACCESSMAP_MASS_DELETION_THRESHOLD,
    bodyLimitBytes: d.ACCESSMAP_BODY_LIMIT_BYTES,
    logLevel: d.ACCESSMAP_LOG_LEVEL as LogLevel | "silent",
  };
}

/** The settings from the environment and, when given, a settings file. */
export async function loadSettings(
  opts: { env?: SettingsSource; file?: string | undefined } = {},
): Promise<ServiceSettings> {
  const file = opts.file ? await readSettingsFile(opts.file) : {};
  return parseSettings(opts.env ?? process.env, file);
}
