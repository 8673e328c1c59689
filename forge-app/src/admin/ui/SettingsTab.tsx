/**
 * The Settings tab: the integration's configuration as a form, checked inline (the contract schema and
 * `settingsProblems`) before anything is sent, with the backend's own field errors shown the same way. Secrets are
 * write-only: a stored secret shows as "set"; its input is uncontrolled (the typed value lives in a ref, never in
 * the rendered tree) and left empty it keeps the stored value. "Test connection" checks the saved credentials.
 */

import { callResolver } from "@accessmap/forge-app/admin/ui/api";
import { eventValue, FailureMessage, FieldErrors, StateLozenge } from "@accessmap/forge-app/admin/ui/common";
import {
  type AdminFailure,
  type AdminProduct,
  type AdminSettings,
  type ConnectionTest,
  type FieldProblem,
  SaveSettings,
  type SecretField,
  settingsProblems,
} from "@accessmap/shared/wire/admin";
import {
  Box,
  Button,
  Checkbox,
  Form,
  FormFooter,
  FormSection,
  Heading,
  HelperMessage,
  Inline,
  Label,
  LoadingButton,
  Lozenge,
  SectionMessage,
  Stack,
  Text,
  Textfield,
  Toggle,
} from "@forge/react";
import { useRef, useState } from "react";

interface Draft {
  products: AdminProduct[];
  orgId: string;
  workspace: string;
  bitbucketOAuthKey: string;
  skipBranchProtectionDiscovery: boolean;
  lifecycle: { enabled: boolean; scimUrl: string; scimOrgId: string };
}

const draftOf = (s: AdminSettings): Draft => ({
  products: [...s.products],
  orgId: s.orgId ?? "",
  workspace: s.workspace ?? "",
  bitbucketOAuthKey: s.bitbucketOAuthKey ?? "",
  skipBranchProtectionDiscovery: s.skipBranchProtectionDiscovery,
  lifecycle: {
    enabled: s.lifecycle.enabled,
    scimUrl: s.lifecycle.scimUrl ?? "",
    scimOrgId: s.lifecycle.scimOrgId ?? "",
  },
});

const PRODUCTS: Array<{ value: AdminProduct; label: string }> = [
  { value: "jira", label: "Jira" },
  { value: "confluence", label: "Confluence" },
  { value: "bitbucket", label: "Bitbucket" },
];

const noSecrets = (): Record<SecretField, string> => ({
  adminApiKey: "",
  bitbucketOAuthSecret: "",
  "lifecycle.scimToken": "",
});

/** What the form would save: a typed secret replaces, a removal is `null`, an untouched secret is left out. */
function toSave(d: Draft, typed: Record<SecretField, string>, removing: ReadonlySet<SecretField>): SaveSettings {
  const secret = (f: SecretField) => (removing.has(f) ? { v: null } : typed[f] !== "" ? { v: typed[f] } : null);
  const admin = secret("adminApiKey");
  const bb = secret("bitbucketOAuthSecret");
  const scim = secret("lifecycle.scimToken");
  return {
    products: d.products,
    orgId: d.orgId,
    ...(admin ? { adminApiKey: admin.v } : {}),
    workspace: d.workspace,
    bitbucketOAuthKey: d.bitbucketOAuthKey,
    ...(bb ? { bitbucketOAuthSecret: bb.v } : {}),
    skipBranchProtectionDiscovery: d.skipBranchProtectionDiscovery,
    lifecycle: {
      enabled: d.lifecycle.enabled,
      scimUrl: d.lifecycle.scimUrl,
      ...(scim ? { scimToken: scim.v } : {}),
      scimOrgId: d.lifecycle.scimOrgId,
    },
  };
}

/** Every problem the page can find without asking anyone: the schema's, then the cross-field rules. */
export function formProblems(input: SaveSettings, secretsSet: readonly SecretField[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  const parsed = SaveSettings.safeParse(input);
  if (!parsed.success) {
    for (const i of parsed.error.issues) out.push({ field: i.path.map(String).join("."), message: i.message });
  }
  for (const p of settingsProblems(parsed.success ? parsed.data : input, secretsSet)) {
    if (!out.some((o) => o.field === p.field && o.message === p.message)) out.push(p);
  }
  return out;
}

interface TextFieldProps {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  problems: readonly FieldProblem[];
  help?: string;
  placeholder?: string;
}

function TextField({ id, label, value, onChange, problems, help, placeholder }: TextFieldProps) {
  return (
    <Box>
      <Label labelFor={id}>{label}</Label>
      <Textfield
        id={id}
        name={id}
        value={value}
        placeholder={placeholder}
        isInvalid={problems.some((p) => p.field === id)}
        onChange={(e) => onChange(eventValue(e))}
      />
      {help ? <HelperMessage>{help}</HelperMessage> : null}
      <FieldErrors problems={problems} field={id} />
    </Box>
  );
}

interface SecretProps {
  field: SecretField;
  label: string;
  isSet: boolean;
  removing: boolean;
  /** Changes after a save, so the uncontrolled input starts empty again. */
  generation: number;
  onType: (v: string) => void;
  onRemove: (remove: boolean) => void;
  problems: readonly FieldProblem[];
}

/** A write-only secret: its state as a lozenge, an empty password input to replace it, and a remove switch. */
function SecretInput({ field, label, isSet, removing, generation, onType, onRemove, problems }: SecretProps) {
  return (
    <Box>
      <Inline space="space.100" alignBlock="center">
        <Label labelFor={field}>{label}</Label>
        {removing ? (
          <Lozenge appearance="removed">will be removed</Lozenge>
        ) : isSet ? (
          <Lozenge appearance="success">set</Lozenge>
        ) : (
          <Lozenge>not set</Lozenge>
        )}
      </Inline>
      <Textfield
        key={`${field}#${generation}`}
        id={field}
        name={field}
        type="password"
        isDisabled={removing}
        placeholder={isSet ? "Stored: type a new value to replace it" : "Not set"}
        isInvalid={problems.some((p) => p.field === field)}
        onChange={(e) => onType(eventValue(e))}
      />
      <HelperMessage>
        {isSet ? "Leave empty to keep the stored value. It is never shown again." : "Stored encrypted, never shown."}
      </HelperMessage>
      {isSet ? (
        <Button appearance="subtle" spacing="compact" onClick={() => onRemove(!removing)}>
          {removing ? `Keep the stored ${label}` : `Remove the stored ${label}`}
        </Button>
      ) : null}
      <FieldErrors problems={problems} field={field} />
    </Box>
  );
}

/** The Settings tab, starting from the settings the page loaded. */
export function SettingsTab({ initial, onSaved }: { initial: AdminSettings; onSaved: (s: AdminSettings) => void }) {
  const [settings, setSettings] = useState(initial);
  const [draft, setDraft] = useState<Draft>(() => draftOf(initial));
  const typed = useRef<Record<SecretField, string>>(noSecrets());
  const [removing, setRemoving] = useState<ReadonlySet<SecretField>>(new Set());
  const [generation, setGeneration] = useState(0);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [failure, setFailure] = useState<AdminFailure | null>(null);
  const [saved, setSaved] = useState(false);
  const [saving, setSaving] = useState(false);
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<ConnectionTest | null>(null);
  const [testFailure, setTestFailure] = useState<AdminFailure | null>(null);

  const update = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setSaved(false);
  };
  const updateLifecycle = (patch: Partial<Draft["lifecycle"]>) =>
    update({ lifecycle: { ...draft.lifecycle, ...patch } });
  const toggleProduct = (p: AdminProduct) =>
    update({ products: draft.products.includes(p) ? draft.products.filter((x) => x !== p) : [...draft.products, p] });
  const setRemove = (f: SecretField, remove: boolean) => {
    const next = new Set(removing);
    if (remove) next.add(f);
    else next.delete(f);
    setRemoving(next);
    setSaved(false);
  };

  const save = async () => {
    setFailure(null);
    setSaved(false);
    const input = toSave(draft, typed.current, removing);
    const found = formProblems(input, settings.secretsSet);
    setProblems(found);
    if (found.length > 0) return;
    setSaving(true);
    const res = await callResolver("saveSettings", input);
    setSaving(false);
    if (!res.ok) {
      setFailure(res);
      setProblems(res.fields ?? []);
      return;
    }
    typed.current = noSecrets();
    setRemoving(new Set());
    setGeneration((g) => g + 1);
    setSettings(res.data);
    setDraft(draftOf(res.data));
    setSaved(true);
    onSaved(res.data);
  };

  const testConnection = async () => {
    setTesting(true);
    setTest(null);
    setTestFailure(null);
    const res = await callResolver("testConnection", {});
    setTesting(false);
    if (res.ok) setTest(res.data);
    else setTestFailure(res);
  };

  const secret = (field: SecretField, label: string) => (
    <SecretInput
      field={field}
      label={label}
      isSet={settings.secretsSet.includes(field)}
      removing={removing.has(field)}
      generation={generation}
      onType={(v) => {
        typed.current[field] = v;
        setSaved(false);
      }}
      onRemove={(r) => setRemove(field, r)}
      problems={problems}
    />
  );

  return (
    <Stack space="space.200">
      {settings.siteAccess === "forge" ? (
        <Text>Jira and Confluence are read by this app with its own access; no product token is needed.</Text>
      ) : (
        <Text>Jira and Confluence are read by the accessmap service with its product token.</Text>
      )}
      {saved ? (
        <SectionMessage appearance="success" title="Settings saved">
          <Text>The next sync uses the new settings.</Text>
        </SectionMessage>
      ) : null}
      {failure ? <FailureMessage failure={failure} /> : null}
      <Form onSubmit={save}>
        <FormSection>
          <Heading size="small">Products to discover</Heading>
          {PRODUCTS.map((p) => (
            <Checkbox
              key={p.value}
              id={`products.${p.value}`}
              name="products"
              value={p.value}
              label={p.label}
              isChecked={draft.products.includes(p.value)}
              onChange={() => toggleProduct(p.value)}
            />
          ))}
          <FieldErrors problems={problems} field="products" />
        </FormSection>
        <FormSection>
          <Heading size="small">Organization</Heading>
          <TextField
            id="orgId"
            label="Organization id"
            value={draft.orgId}
            onChange={(v) => update({ orgId: v })}
            problems={problems}
            help="From admin.atlassian.com → Settings → API keys."
          />
          {secret("adminApiKey", "Admin API key")}
        </FormSection>
        <FormSection>
          <Heading size="small">Bitbucket</Heading>
          <TextField
            id="workspace"
            label="Workspace"
            value={draft.workspace}
            onChange={(v) => update({ workspace: v })}
            problems={problems}
          />
          <TextField
            id="bitbucketOAuthKey"
            label="OAuth consumer key"
            value={draft.bitbucketOAuthKey}
            onChange={(v) => update({ bitbucketOAuthKey: v })}
            problems={problems}
          />
          {secret("bitbucketOAuthSecret", "OAuth consumer secret")}
          <Label labelFor="skipBranchProtectionDiscovery">Skip branch protection discovery</Label>
          <Toggle
            id="skipBranchProtectionDiscovery"
            isChecked={draft.skipBranchProtectionDiscovery}
            onChange={() => update({ skipBranchProtectionDiscovery: !draft.skipBranchProtectionDiscovery })}
          />
          <HelperMessage>Faster syncs of large workspaces, without who-can-merge paths.</HelperMessage>
        </FormSection>
        <FormSection>
          <Heading size="small">Lifecycle actions</Heading>
          <Label labelFor="lifecycle.enabled">Allow lifecycle actions (deprovision, group changes)</Label>
          <Toggle
            id="lifecycle.enabled"
            isChecked={draft.lifecycle.enabled}
            onChange={() => updateLifecycle({ enabled: !draft.lifecycle.enabled })}
          />
          <TextField
            id="lifecycle.scimUrl"
            label="SCIM base URL"
            value={draft.lifecycle.scimUrl}
            onChange={(v) => updateLifecycle({ scimUrl: v })}
            problems={problems}
            placeholder="https://api.atlassian.com/scim/directory/…"
          />
          {secret("lifecycle.scimToken", "SCIM API key")}
          <TextField
            id="lifecycle.scimOrgId"
            label="Directory organization id"
            value={draft.lifecycle.scimOrgId}
            onChange={(v) => updateLifecycle({ scimOrgId: v })}
            problems={problems}
          />
        </FormSection>
        <FormFooter>
          <LoadingButton type="submit" appearance="primary" isLoading={saving}>
            Save settings
          </LoadingButton>
        </FormFooter>
      </Form>
      <Stack space="space.100">
        <Heading size="small">Connection test</Heading>
        <Text>Checks each saved credential against Atlassian.</Text>
        <Inline>
          <LoadingButton isLoading={testing} onClick={testConnection}>
            Test connection
          </LoadingButton>
        </Inline>
        {testFailure ? <FailureMessage failure={testFailure} /> : null}
        {test
          ? test.checks.map((c) => (
              <Inline key={c.credential} space="space.100" alignBlock="center">
                <StateLozenge state={c.result} />
                <Text weight="bold">{c.label}</Text>
                <Text>{c.message}</Text>
              </Inline>
            ))
          : null}
      </Stack>
    </Stack>
  );
}
