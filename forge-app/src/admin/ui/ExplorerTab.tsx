/**
 * The Access explorer tab: find a person and see their access by product, each row with the path(s) that grant
 * it; or pick a project, space or repository and see who can access it, and how.
 */

import { callResolver } from "@accessmap/forge-app/admin/ui/api";
import { eventValue, FailureMessage, productLabel, RESOURCE_LABELS } from "@accessmap/forge-app/admin/ui/common";
import {
  type AdminFailure,
  type PersonAccess,
  type PersonHit,
  type ResourceAccess,
  type ResourceHit,
  ResourceKind,
} from "@accessmap/shared/wire/admin";
import {
  Box,
  Button,
  DynamicTable,
  Heading,
  Inline,
  Label,
  Lozenge,
  Select,
  Stack,
  Text,
  Textfield,
} from "@forge/react";
import { useState } from "react";

/** Each path on its own line. */
function Paths({ paths }: { paths: readonly string[] }) {
  return (
    <Stack space="space.050">
      {paths.map((p) => (
        <Text key={p}>{p}</Text>
      ))}
    </Stack>
  );
}

const ACCESS_HEAD = {
  cells: [
    { key: "resource", content: "Resource" },
    { key: "permission", content: "Permission" },
    { key: "through", content: "Held" },
    { key: "paths", content: "Path" },
  ],
};

const THROUGH_LABEL = { direct: "directly", pseudo: "as everyone", dormant: "dormant" } as const;

function PersonAccessView({ access }: { access: PersonAccess }) {
  const p = access.person;
  return (
    <Stack space="space.150">
      <Heading size="small">{`${p.displayName}: ${access.total} permission${access.total === 1 ? "" : "s"}`}</Heading>
      <Text>{`${p.email ?? "no email"} · ${p.status} · ${p.accountType} account · model version ${access.modelVersion}`}</Text>
      {access.truncated ? <Text>Only the first rows are shown; export the access report for all of them.</Text> : null}
      {access.byProduct.length === 0 ? <Text>No access found.</Text> : null}
      {access.byProduct.map((group) => (
        <Stack key={group.product} space="space.100">
          <Heading size="xsmall">{productLabel(group.product)}</Heading>
          <DynamicTable
            caption={`${productLabel(group.product)} access of ${p.displayName}`}
            head={ACCESS_HEAD}
            rows={group.rows.map((r, i) => ({
              key: `${r.resourceType}:${r.resourceId}:${r.permission}:${i}`,
              cells: [
                { key: "resource", content: `${r.resourceName} (${RESOURCE_LABELS[r.resourceType]})` },
                { key: "permission", content: r.permission },
                {
                  key: "through",
                  content: (
                    <Lozenge appearance={r.through === "dormant" ? "default" : "inprogress"}>
                      {THROUGH_LABEL[r.through]}
                    </Lozenge>
                  ),
                },
                { key: "paths", content: <Paths paths={r.paths} /> },
              ],
            }))}
          />
        </Stack>
      ))}
    </Stack>
  );
}

const HOLDER_HEAD = {
  cells: [
    { key: "who", content: "Who" },
    { key: "permission", content: "Permission" },
    { key: "paths", content: "Path" },
  ],
};

function ResourceAccessView({ access }: { access: ResourceAccess }) {
  const r = access.resource;
  return (
    <Stack space="space.150">
      <Heading size="small">{`${r.name} (${RESOURCE_LABELS[r.type]}): ${access.total} holder${access.total === 1 ? "" : "s"}`}</Heading>
      {access.truncated ? <Text>Only the first rows are shown.</Text> : null}
      <DynamicTable
        caption={`Who can access ${r.name}`}
        head={HOLDER_HEAD}
        emptyView={<Text>Nobody can access it.</Text>}
        rows={access.holders.map((h, i) => ({
          key: `${h.principal}:${h.permission}:${i}`,
          cells: [
            { key: "who", content: h.pseudo ? `${h.displayName} (everyone in it)` : h.displayName },
            { key: "permission", content: h.permission },
            { key: "paths", content: <Paths paths={h.paths} /> },
          ],
        }))}
      />
    </Stack>
  );
}

interface KindOption {
  label: string;
  value: string;
}
const ANY_KIND: KindOption = { label: "Any kind", value: "" };
const KIND_OPTIONS: KindOption[] = [
  ANY_KIND,
  ...ResourceKind.options.map((k) => ({ label: RESOURCE_LABELS[k], value: k })),
];

/** The Access explorer tab. */
export function ExplorerTab() {
  const [personQuery, setPersonQuery] = useState("");
  const [people, setPeople] = useState<PersonHit[] | null>(null);
  const [personAccess, setPersonAccess] = useState<PersonAccess | null>(null);
  const [personFailure, setPersonFailure] = useState<AdminFailure | null>(null);

  const [resourceQuery, setResourceQuery] = useState("");
  const [kind, setKind] = useState<KindOption>(ANY_KIND);
  const [resources, setResources] = useState<ResourceHit[] | null>(null);
  const [resourceAccess, setResourceAccess] = useState<ResourceAccess | null>(null);
  const [resourceFailure, setResourceFailure] = useState<AdminFailure | null>(null);

  const searchPeople = async () => {
    setPersonFailure(null);
    setPersonAccess(null);
    if (personQuery.trim() === "") {
      setPersonFailure({ ok: false, code: "invalid", message: "Type a name, email or account id to search." });
      return;
    }
    const res = await callResolver("searchPeople", { query: personQuery });
    if (res.ok) setPeople(res.data.people);
    else setPersonFailure(res);
  };
  const pickPerson = async (p: PersonHit) => {
    setPersonFailure(null);
    const res = await callResolver("personAccess", { accountId: p.accountId });
    if (res.ok) setPersonAccess(res.data);
    else setPersonFailure(res);
  };

  const searchResources = async () => {
    setResourceFailure(null);
    setResourceAccess(null);
    const parsedKind = ResourceKind.safeParse(kind.value);
    const res = await callResolver("searchResources", {
      query: resourceQuery,
      ...(parsedKind.success ? { type: parsedKind.data } : {}),
    });
    if (res.ok) setResources(res.data.resources);
    else setResourceFailure(res);
  };
  const pickResource = async (r: ResourceHit) => {
    setResourceFailure(null);
    const res = await callResolver("resourceAccess", { type: r.type, id: r.id });
    if (res.ok) setResourceAccess(res.data);
    else setResourceFailure(res);
  };

  return (
    <Stack space="space.300">
      <Stack space="space.100">
        <Heading size="medium">What can a person access?</Heading>
        <Label labelFor="person-query">Name, email or account id</Label>
        <Inline space="space.100">
          <Textfield id="person-query" value={personQuery} onChange={(e) => setPersonQuery(eventValue(e))} />
          <Button onClick={searchPeople}>Search people</Button>
        </Inline>
        {personFailure ? <FailureMessage failure={personFailure} /> : null}
        {people && people.length === 0 ? <Text>Nobody matches.</Text> : null}
        {people && !personAccess
          ? people.map((p) => (
              <Inline key={p.accountId} space="space.100" alignBlock="center">
                <Button appearance="subtle" onClick={() => void pickPerson(p)}>
                  {p.displayName}
                </Button>
                <Text>{`${p.email ?? "no email"} · ${p.status}`}</Text>
              </Inline>
            ))
          : null}
        {personAccess ? (
          <Box>
            <Button appearance="subtle" onClick={() => setPersonAccess(null)}>
              Back to the results
            </Button>
            <PersonAccessView access={personAccess} />
          </Box>
        ) : null}
      </Stack>
      <Stack space="space.100">
        <Heading size="medium">Who can access a project, space or repository?</Heading>
        <Label labelFor="resource-kind">Kind</Label>
        <Select
          id="resource-kind"
          inputId="resource-kind"
          options={KIND_OPTIONS}
          value={kind}
          onChange={(o: KindOption | null) => setKind(o ?? ANY_KIND)}
        />
        <Label labelFor="resource-query">Name or key</Label>
        <Inline space="space.100">
          <Textfield id="resource-query" value={resourceQuery} onChange={(e) => setResourceQuery(eventValue(e))} />
          <Button onClick={searchResources}>Search resources</Button>
        </Inline>
        {resourceFailure ? <FailureMessage failure={resourceFailure} /> : null}
        {resources && resources.length === 0 ? <Text>Nothing matches.</Text> : null}
        {resources && !resourceAccess
          ? resources.map((r) => (
              <Inline key={`${r.type}:${r.id}`} space="space.100" alignBlock="center">
                <Button appearance="subtle" onClick={() => void pickResource(r)}>
                  {r.name}
                </Button>
                <Text>{`${RESOURCE_LABELS[r.type]} · ${r.id}`}</Text>
              </Inline>
            ))
          : null}
        {resourceAccess ? (
          <Box>
            <Button appearance="subtle" onClick={() => setResourceAccess(null)}>
              Back to the results
            </Button>
            <ResourceAccessView access={resourceAccess} />
          </Box>
        ) : null}
      </Stack>
    </Stack>
  );
}
