/**
 * The Lifecycle tab: pick an action, fill its fields, preview the dry-run plan (every step with current →
 * intended, no-ops and refusals with their reasons, problems, whether it is blocked), confirm explicitly in a
 * dialog — a deletion needs a second confirmation — then apply and see each step's result.
 */

import { callResolver } from "@accessmap/forge-app/admin/ui/api";
import { eventValue, FailureMessage, FieldErrors, StateLozenge } from "@accessmap/forge-app/admin/ui/common";
import {
  type AdminFailure,
  type ApplyOutcome,
  type FieldProblem,
  LifecycleForm,
  type PlanPreview,
} from "@accessmap/shared/wire/admin";
import {
  Box,
  Button,
  Checkbox,
  DynamicTable,
  Heading,
  Inline,
  Label,
  LoadingButton,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
  ModalTitle,
  ModalTransition,
  SectionMessage,
  Select,
  Stack,
  Text,
  Textfield,
} from "@forge/react";
import { useState } from "react";

type ActionKey = "deprovision" | "add" | "remove" | "provision" | "delete";
interface ActionOption {
  label: string;
  value: ActionKey;
}
const ACTIONS: ActionOption[] = [
  { label: "Deprovision a person (leaver)", value: "deprovision" },
  { label: "Add a person to a group", value: "add" },
  { label: "Remove a person from a group", value: "remove" },
  { label: "Provision a person", value: "provision" },
  { label: "Delete an account", value: "delete" },
];

interface Fields {
  user: string;
  group: string;
  userName: string;
  email: string;
  displayName: string;
  suspendAccess: boolean;
  removeFromGroups: boolean;
}
const EMPTY: Fields = {
  user: "",
  group: "",
  userName: "",
  email: "",
  displayName: "",
  suspendAccess: true,
  removeFromGroups: true,
};

/** The form for one action, as the contract's `LifecycleForm` input. */
function formOf(action: ActionKey, f: Fields): unknown {
  switch (action) {
    case "deprovision":
      return {
        action: "DEPROVISION_IDENTITY",
        user: f.user,
        suspendAccess: f.suspendAccess,
        removeFromGroups: f.removeFromGroups,
      };
    case "add":
    case "remove":
      return { action: "MANAGE_RELATIONSHIPS", op: action, user: f.user, group: f.group };
    case "provision":
      return { action: "SYNC_IDENTITIES", userName: f.userName, email: f.email, displayName: f.displayName };
    case "delete":
      return { action: "DELETE_IDENTITY", user: f.user };
  }
}

const STEP_HEAD = {
  cells: [
    { key: "step", content: "Step" },
    { key: "status", content: "Status" },
    { key: "change", content: "Current → intended" },
    { key: "reason", content: "Reason" },
  ],
};

const RESULT_HEAD = {
  cells: [
    { key: "step", content: "Step" },
    { key: "status", content: "Result" },
    { key: "message", content: "Message" },
  ],
};

function PlanView({ plan }: { plan: PlanPreview }) {
  return (
    <Stack space="space.150">
      <Heading size="small">Plan (dry run: nothing has changed yet)</Heading>
      {plan.blocked ? (
        <SectionMessage appearance="error" title="This plan cannot be applied">
          <Text>{plan.blocked}</Text>
        </SectionMessage>
      ) : null}
      {plan.problems.length > 0 ? (
        <SectionMessage appearance="warning" title="Problems found while planning">
          {plan.problems.map((p) => (
            <Text key={p}>{p}</Text>
          ))}
        </SectionMessage>
      ) : null}
      <DynamicTable
        caption="Planned steps"
        head={STEP_HEAD}
        emptyView={<Text>Nothing to do.</Text>}
        rows={plan.steps.map((s) => ({
          key: s.id,
          cells: [
            { key: "step", content: s.summary },
            { key: "status", content: <StateLozenge state={s.status} /> },
            {
              key: "change",
              content: s.current === null && s.intended === null ? "—" : `${s.current ?? "—"} → ${s.intended ?? "—"}`,
            },
            { key: "reason", content: s.reason ?? "—" },
          ],
        }))}
      />
      <Text>
        {plan.writes === 0
          ? "Applying this plan would change nothing."
          : `Applying this plan makes ${plan.writes} change${plan.writes === 1 ? "" : "s"}.`}
      </Text>
    </Stack>
  );
}

function OutcomeView({ outcome }: { outcome: ApplyOutcome }) {
  const summary = Object.entries(outcome.summary)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  return (
    <Stack space="space.150">
      <Heading size="small">Result</Heading>
      <Text>{summary || "No steps ran."}</Text>
      <DynamicTable
        caption="Step results"
        head={RESULT_HEAD}
        rows={outcome.results.map((r) => ({
          key: r.stepId,
          cells: [
            { key: "step", content: r.summary },
            { key: "status", content: <StateLozenge state={r.status} /> },
            { key: "message", content: r.message },
          ],
        }))}
      />
      {outcome.patchedVersion !== null ? (
        <Text>{`The access model was updated at once (version ${outcome.patchedVersion}); the next sync confirms it.`}</Text>
      ) : null}
    </Stack>
  );
}

/** The Lifecycle tab. */
export function LifecycleTab() {
  const [action, setAction] = useState<ActionOption>(ACTIONS[0] as ActionOption);
  const [fields, setFields] = useState<Fields>(EMPTY);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [failure, setFailure] = useState<AdminFailure | null>(null);
  const [plan, setPlan] = useState<PlanPreview | null>(null);
  const [planning, setPlanning] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [applying, setApplying] = useState(false);
  const [outcome, setOutcome] = useState<ApplyOutcome | null>(null);

  const set = (patch: Partial<Fields>) => {
    setFields((f) => ({ ...f, ...patch }));
    setPlan(null);
    setOutcome(null);
  };

  const preview = async () => {
    setFailure(null);
    setOutcome(null);
    setPlan(null);
    const parsed = LifecycleForm.safeParse(formOf(action.value, fields));
    if (!parsed.success) {
      setProblems(parsed.error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message })));
      return;
    }
    setProblems([]);
    setPlanning(true);
    const res = await callResolver("planLifecycle", parsed.data);
    setPlanning(false);
    if (res.ok) setPlan(res.data);
    else {
      setFailure(res);
      setProblems(res.fields ?? []);
    }
  };

  const apply = async () => {
    if (!plan) return;
    setApplying(true);
    const res = await callResolver("applyLifecycle", {
      planId: plan.planId,
      confirm: true,
      ...(plan.deletes ? { confirmDelete } : {}),
    });
    setApplying(false);
    setConfirming(false);
    setConfirmDelete(false);
    if (res.ok) {
      setOutcome(res.data);
      setPlan(null);
    } else {
      setFailure(res);
      // A stale plan cannot be applied any more: preview again.
      if (res.code === "stale_plan") setPlan(null);
    }
  };

  const text = (id: keyof Fields & string, label: string, help?: string) => (
    <Box>
      <Label labelFor={id}>{label}</Label>
      <Textfield
        id={id}
        value={String(fields[id])}
        isInvalid={problems.some((p) => p.field === id)}
        onChange={(e) => set({ [id]: eventValue(e) } as Partial<Fields>)}
      />
      {help ? <Text>{help}</Text> : null}
      <FieldErrors problems={problems} field={id} />
    </Box>
  );

  const a = action.value;
  const canApply = plan !== null && plan.blocked === null && plan.writes > 0;
  return (
    <Stack space="space.200">
      <Text>Changes go through the organization's identity provider directory (SCIM) and Admin APIs.</Text>
      <Label labelFor="lifecycle-action">Action</Label>
      <Select
        id="lifecycle-action"
        inputId="lifecycle-action"
        options={ACTIONS}
        value={action}
        onChange={(o: ActionOption | null) => {
          if (o) setAction(o);
          setPlan(null);
          setOutcome(null);
          setProblems([]);
        }}
      />
      {a === "provision" ? (
        <Stack space="space.100">
          {text("userName", "User name", "Usually the email address.")}
          {text("email", "Email")}
          {text("displayName", "Display name")}
        </Stack>
      ) : (
        <Stack space="space.100">
          {text("user", "Person", "Email, user name or account id.")}
          {a === "add" || a === "remove" ? text("group", "Group") : null}
          {a === "deprovision" ? (
            <Stack space="space.050">
              <Checkbox
                id="suspendAccess"
                label="Suspend their access"
                isChecked={fields.suspendAccess}
                onChange={() => set({ suspendAccess: !fields.suspendAccess })}
              />
              <Checkbox
                id="removeFromGroups"
                label="Remove them from every group"
                isChecked={fields.removeFromGroups}
                onChange={() => set({ removeFromGroups: !fields.removeFromGroups })}
              />
            </Stack>
          ) : null}
        </Stack>
      )}
      <Inline>
        <LoadingButton isLoading={planning} onClick={preview}>
          Preview
        </LoadingButton>
      </Inline>
      {failure ? <FailureMessage failure={failure} /> : null}
      {plan ? (
        <Stack space="space.150">
          <PlanView plan={plan} />
          <Inline>
            <Button appearance="warning" isDisabled={!canApply} onClick={() => setConfirming(true)}>
              Apply this plan…
            </Button>
          </Inline>
        </Stack>
      ) : null}
      {outcome ? <OutcomeView outcome={outcome} /> : null}
      <ModalTransition>
        {confirming && plan ? (
          <Modal onClose={() => setConfirming(false)}>
            <ModalHeader>
              <ModalTitle appearance={plan.deletes ? "danger" : "warning"}>Apply this plan?</ModalTitle>
            </ModalHeader>
            <ModalBody>
              <Stack space="space.100">
                <Text>
                  {`${plan.writes} change${plan.writes === 1 ? "" : "s"} will be made in the directory and the organization. This cannot be undone from here.`}
                </Text>
                {plan.steps
                  .filter((s) => s.status === "pending")
                  .map((s) => (
                    <Text key={s.id}>{`• ${s.summary}`}</Text>
                  ))}
                {plan.deletes ? (
                  <Checkbox
                    id="confirmDelete"
                    label="I understand that the account is deleted permanently and cannot be restored"
                    isChecked={confirmDelete}
                    onChange={() => setConfirmDelete(!confirmDelete)}
                  />
                ) : null}
              </Stack>
            </ModalBody>
            <ModalFooter>
              <Button appearance="subtle" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
              <LoadingButton
                appearance={plan.deletes ? "danger" : "warning"}
                isLoading={applying}
                isDisabled={plan.deletes && !confirmDelete}
                onClick={apply}
              >
                {`Apply ${plan.writes} change${plan.writes === 1 ? "" : "s"}`}
              </LoadingButton>
            </ModalFooter>
          </Modal>
        ) : null}
      </ModalTransition>
    </Stack>
  );
}
