/**
 * Rendering the admin page offline with the REAL `@forge/react` reconciler (forge-offline.md §5.2): a fake bridge
 * (`globalThis.__bridge.callBridge`) captures each reconciled ForgeDoc and answers `invoke` by calling the REAL
 * `adminResolver` handler the way the platform does (§3.6), as a chosen user in a chosen product. The bridge must
 * exist before `@forge/react` / `@forge/bridge` load, so those (and the page) are imported dynamically after
 * {@link installFakeBridge}.
 *
 * Also: helpers to find nodes in a ForgeDoc by type and text, and to call their `onClick` / `onChange` /
 * `onSubmit` props inside `act`, then wait until every `invoke` in flight has answered.
 */
import type { ReactElement } from "react";

/** One ForgeDoc node: `{type, props, children, key}`; function props stay callable. */
export interface UiNode {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: ForgeDoc props are whatever each component takes.
  props: Record<string, any>;
  children: UiNode[];
  key?: string;
}

export interface InvokeRecord {
  functionKey: string;
  payload: unknown;
  answer?: unknown;
}

/** Who calls and from where: the platform's invocation context for one render. */
export interface Caller {
  accountId: string;
  product: "jira" | "confluence";
}

type InvokeHandler = (functionKey: string, payload: unknown) => Promise<unknown>;

interface BridgeState {
  roots: Set<UiNode>;
  current: UiNode | null;
  handler: InvokeHandler | null;
  inflight: Set<Promise<unknown>>;
  invokes: InvokeRecord[];
  errors: unknown[];
}

const state: BridgeState = {
  roots: new Set(),
  current: null,
  handler: null,
  inflight: new Set(),
  invokes: [],
  errors: [],
};

/** Installs the fake bridge (once per process) and makes React use `act`. */
export function installFakeBridge(): BridgeState {
  const g = globalThis as Record<string, unknown>;
  if (g.__bridge) return state;
  g.self = globalThis;
  g.IS_REACT_ACT_ENVIRONMENT = true;
  g.__bridge = {
    callBridge: (cmd: string, data: Record<string, unknown>) => {
      switch (cmd) {
        case "reconcile": {
          // The reconciler hands over its live container after each commit; a new container is a new render.
          const doc = data.forgeDoc as UiNode;
          if (!state.roots.has(doc)) {
            state.roots.add(doc);
            state.current = doc;
          }
          return Promise.resolve();
        }
        case "invoke": {
          if (!state.handler) return Promise.reject(new Error("fake bridge: no invoke handler"));
          const record: InvokeRecord = { functionKey: String(data.functionKey), payload: data.payload };
          state.invokes.push(record);
          const p = state.handler(record.functionKey, data.payload).then((answer) => {
            record.answer = answer;
            return answer;
          });
          state.inflight.add(p);
          void p.finally(() => state.inflight.delete(p)).catch(() => {});
          return p;
        }
        case "onError":
          state.errors.push(data.error);
          return Promise.resolve();
        default:
          return Promise.reject(new Error(`fake bridge: unexpected call ${cmd}`));
      }
    },
  };
  return state;
}

// ---------------------------------------------------------------- the page

type Act = (fn: () => Promise<void> | void) => Promise<void>;

let loaded: {
  act: Act;
  render: (el: ReactElement) => void;
  createElement: typeof import("react").createElement;
  // biome-ignore lint/suspicious/noExplicitAny: the App's props type is imported dynamically.
  App: (props: any) => ReactElement;
  // biome-ignore lint/suspicious/noExplicitAny: the resolver handler takes the platform's loose payloads.
  adminResolver: (payload: any, backend?: any) => Promise<unknown>;
} | null = null;

/** Loads React, the reconciler, the page and the resolver — after the bridge exists. */
async function load() {
  installFakeBridge();
  if (loaded) return loaded;
  const react = await import("react");
  const forgeReact = await import("@forge/react");
  type Reconciler = { render(element: ReactElement): void };
  // CommonJS with `exports.default`: Node's ESM loader hands us `module.exports`, whose `default` is the reconciler.
  const ForgeReconciler = (forgeReact as unknown as { default: Reconciler }).default;
  // The package exports map `./*` to `.ts` files; the page is TSX, so it is imported by path.
  const { App } = await import("@accessmap/forge-app/admin/ui/App");
  const { adminResolver } = await import("@accessmap/forge-app/admin/resolver");
  const unstableAct = (react as unknown as { unstable_act: (cb: () => Promise<void>) => Promise<void> }).unstable_act;
  loaded = {
    act: (fn) =>
      unstableAct(async () => {
        await fn();
      }),
    render: (el) => ForgeReconciler.render(el),
    createElement: react.createElement,
    App: App as (props: unknown) => ReactElement,
    adminResolver: adminResolver as (payload: unknown, backend?: unknown) => Promise<unknown>,
  };
  return loaded;
}

export interface RenderedPage {
  /** The page's current ForgeDoc (live: it changes with each commit). */
  root(): UiNode;
  invokes: InvokeRecord[];
  act: Act;
  /** Waits until no `invoke` is in flight and React has committed. */
  settle(): Promise<void>;
  /** Invokes that answered a failure with this code. */
  failures(code?: string): InvokeRecord[];
}

export interface RenderOptions {
  caller: Caller;
  /** Sets the shim's `aaid` (the invocation's user) before each resolver call. */
  setUser: (id: string | null) => void;
  /** The App's props (`poll`). */
  props?: Record<string, unknown>;
}

const MODULES = {
  jira: { type: "jira:adminPage", key: "accessmap-jira-admin", ari: "ari:cloud:jira::site/cloud-1" },
  confluence: {
    type: "confluence:globalSettings",
    key: "accessmap-confluence-settings",
    ari: "ari:cloud:confluence::site/cloud-1",
  },
} as const;

/** Renders the admin page as `caller`, each `invoke` reaching the real resolver like the platform calls it. */
export async function renderAdminPage(opts: RenderOptions): Promise<RenderedPage> {
  const l = await load();
  const m = MODULES[opts.caller.product];
  state.handler = async (functionKey, payload) => {
    // The platform runs each invocation as the user in session: `aaid` for `asUser()`, `principal` for the resolver.
    opts.setUser(opts.caller.accountId);
    return l.adminResolver(
      {
        call: { functionKey, payload },
        context: { cloudId: "cloud-1", moduleKey: m.key, localId: `${m.key}-local`, extension: { type: m.type } },
      },
      { principal: { accountId: opts.caller.accountId }, installContext: m.ari, license: { isActive: true } },
    );
  };
  const invokes: InvokeRecord[] = [];
  const from = state.invokes.length;
  const before = state.current;
  await l.act(() => {
    l.render(l.createElement(l.App, opts.props ?? {}));
  });
  if (state.current === before || !state.current) throw new Error("the page did not render");
  const root = state.current;
  const settle = async () => {
    for (let i = 0; i < 50; i++) {
      await l.act(async () => {
        await Promise.allSettled([...state.inflight]);
        await new Promise((r) => setImmediate(r));
      });
      if (state.inflight.size === 0) {
        await l.act(async () => {
          await new Promise((r) => setImmediate(r));
        });
        if (state.inflight.size === 0) return;
      }
    }
    throw new Error("invokes still in flight after 50 rounds");
  };
  const page: RenderedPage = {
    root: () => root,
    get invokes() {
      invokes.splice(0, invokes.length, ...state.invokes.slice(from));
      return invokes;
    },
    act: l.act,
    settle,
    failures: (code) =>
      page.invokes.filter((r) => {
        const a = r.answer as { ok?: boolean; code?: string } | undefined;
        return a?.ok === false && (code === undefined || a.code === code);
      }),
  };
  await settle();
  return page;
}

// ---------------------------------------------------------------- finding nodes

/** Every node under `node` (itself included) that matches. */
export function findAll(node: UiNode, pred: (n: UiNode) => boolean): UiNode[] {
  const out: UiNode[] = [];
  const walk = (n: UiNode) => {
    if (pred(n)) out.push(n);
    for (const c of n.children ?? []) walk(c);
  };
  walk(node);
  return out;
}

/** The text under a node: its `String` leaves, space-joined. */
export function textOf(node: UiNode): string {
  if (node.type === "String") return String(node.props.text ?? "");
  return (node.children ?? [])
    .map(textOf)
    .filter((t) => t !== "")
    .join(" ");
}

const matches = (text: string, want: string | RegExp) =>
  typeof want === "string" ? text.includes(want) : want.test(text);

/** Nodes of `type` (and, when given, whose text matches). */
export function byType(node: UiNode, type: string, text?: string | RegExp): UiNode[] {
  return findAll(node, (n) => n.type === type && (text === undefined || matches(textOf(n), text)));
}

/**
 * The reconciler prefixes `id`, `labelFor` and `inputId` with `forge-app-<5 hex>-` so they cannot clash with the
 * host's; this is the id as the page wrote it.
 */
export function ownId(value: unknown): unknown {
  return typeof value === "string" ? value.replace(/^forge-app-[0-9a-f]{5}-/, "") : value;
}

/** Nodes of `type` whose prop `name` equals `value` (ids compared as the page wrote them). */
export function byProp(node: UiNode, type: string, name: string, value: unknown): UiNode[] {
  const prefixed = ["id", "labelFor", "inputId"].includes(name);
  return findAll(node, (n) => n.type === type && (prefixed ? ownId(n.props[name]) : n.props[name]) === value);
}

/** Exactly one node of `type` (with that text); fails with what there is otherwise. */
export function one(node: UiNode, type: string, text?: string | RegExp): UiNode {
  const found = byType(node, type, text);
  if (found.length !== 1) {
    const seen = byType(node, type).map(textOf);
    throw new Error(
      `expected one ${type}${text ? ` matching ${String(text)}` : ""}, found ${found.length}: ${JSON.stringify(seen)}`,
    );
  }
  return found[0] as UiNode;
}

/** The one node of `type` whose `id` prop is `id`. */
export function byId(node: UiNode, type: string, id: string): UiNode {
  const found = byProp(node, type, "id", id);
  if (found.length !== 1) throw new Error(`expected one ${type}#${id}, found ${found.length}`);
  return found[0] as UiNode;
}

/** The rows of a DynamicTable as arrays of cell texts. */
export function tableRows(table: UiNode): string[][] {
  const rowsWrapper = table.children.find((c) => c.props.name === "rows");
  return findAll(rowsWrapper ?? table, (n) => n.type === "Row").map((row) =>
    row.children.filter((c) => c.type === "Cell").map(textOf),
  );
}

/** The whole tree as JSON (function props dropped): what the host would receive. */
export function serialized(node: UiNode): string {
  return JSON.stringify(node);
}

// ---------------------------------------------------------------- interacting

/** Calls a node's `onClick` inside act, then waits for the invokes it started. */
export async function click(page: RenderedPage, node: UiNode): Promise<void> {
  if (typeof node.props.onClick !== "function") throw new Error(`${node.type} has no onClick`);
  await page.act(async () => {
    await node.props.onClick({ type: "click", target: {} });
  });
  await page.settle();
}

/** Calls a node's `onChange` with a serialisable event (`target.value` / `target.checked`), or a raw value. */
export async function change(page: RenderedPage, node: UiNode, value: unknown): Promise<void> {
  if (typeof node.props.onChange !== "function") throw new Error(`${node.type} has no onChange`);
  const event =
    typeof value === "string"
      ? { type: "change", target: { value } }
      : typeof value === "boolean"
        ? { type: "change", target: { checked: value } }
        : value;
  await page.act(async () => {
    await node.props.onChange(event);
  });
  await page.settle();
}

/** Calls a Form's `onSubmit` inside act, then waits for the invokes it started. */
export async function submit(page: RenderedPage, form: UiNode): Promise<void> {
  if (typeof form.props.onSubmit !== "function") throw new Error(`${form.type} has no onSubmit`);
  await page.act(async () => {
    await form.props.onSubmit();
  });
  await page.settle();
}
